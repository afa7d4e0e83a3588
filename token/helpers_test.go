package token

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// Shared keys: RSA generation costs ~0.1-1 s on this machine, so each test
// binary makes two RSA keys once.
var (
	keysOnce         sync.Once
	rsaA, rsaB, edA  *Key
	keysErr          error
	testNow          = time.Unix(1700000000, 0)
	testTTL          = time.Hour
	canonicalRSAHead = `{"alg":"RS256"}`
)

func testKeys(tb testing.TB) (rsa1, rsa2, ed *Key) {
	tb.Helper()
	keysOnce.Do(func() {
		if rsaA, keysErr = GenerateRSA(2048); keysErr != nil {
			return
		}
		if rsaB, keysErr = GenerateRSA(2048); keysErr != nil {
			return
		}
		edA, keysErr = GenerateEd25519()
	})
	if keysErr != nil {
		tb.Fatalf("generate test keys: %v", keysErr)
	}
	return rsaA, rsaB, edA
}

func mustRing(tb testing.TB, signing *Key, extra ...*Key) *Keyring {
	tb.Helper()
	var pubs []crypto.PublicKey
	for _, k := range extra {
		pubs = append(pubs, k.Public())
	}
	r, err := NewKeyring(signing, pubs...)
	if err != nil {
		tb.Fatalf("NewKeyring: %v", err)
	}
	return r
}

// craft signs arbitrary header and claims text with k (whatever the header
// says), for negative tests.
func craft(tb testing.TB, k *Key, header, claims string) string {
	tb.Helper()
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(claims))
	sig, err := k.sign([]byte(input))
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// craftHS256 builds an HS256 token keyed with secret (the alg-confusion
// attack uses the public PEM as secret).
func craftHS256(header, claims string, secret []byte) string {
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

// segments decodes the header and claims of a compact token as raw text.
func segments(tb testing.TB, tok string) (header, claims string) {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d segments", len(parts))
	}
	h, err := b64.DecodeString(parts[0])
	if err != nil {
		tb.Fatalf("header: %v", err)
	}
	c, err := b64.DecodeString(parts[1])
	if err != nil {
		tb.Fatalf("claims: %v", err)
	}
	return string(h), string(c)
}

// wantWord asserts err is a *VerifyError with the given word.
func wantWord(tb testing.TB, err error, word string) {
	tb.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		tb.Fatalf("error = %v (%T), want *VerifyError %q", err, err, word)
	}
	if ve.Word != word {
		tb.Fatalf("word = %q (%v), want %q", ve.Word, ve, word)
	}
	if ve.Key() != "jwt.decode_and_verify."+word {
		tb.Fatalf("Key() = %q", ve.Key())
	}
}
