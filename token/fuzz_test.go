package token

import (
	"errors"
	"testing"
)

// fuzzRing uses the shared RSA key and an Ed25519 key, so both signature
// paths are reachable.
func fuzzRing(f *testing.F) (*Keyring, *Key) {
	r, _, ed := testKeys(f)
	return mustRing(f, r, ed), r
}

// mustVerifyError fails unless err is nil or a *VerifyError with a word.
func mustVerifyError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Word == "" {
		t.Fatalf("error %v (%T) is not a *VerifyError with a word", err, err)
	}
}

func FuzzVerifyAccess(f *testing.F) {
	ring, r := fuzzRing(f)
	tok, err := ring.IssueAccess(AccessClaims{UID: "ID1", Email: "a@b.io"}, testNow, testTTL)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{tok, "", ".", "..", "a.b.c", tok + ".", tok[:len(tok)-3],
		craft(f, r, `{"alg":"RS256"}`, `{"exp":1e400,"iat":-1e400,"nbf":"x","jti":[],"sub":{}}`),
		craft(f, r, `{"alg":"RS256"}`, `{"aud":[[["x"]]],"iss":null,"sub":"session","exp":9e18,"jti":"1"}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ring.VerifyAccess(s, testNow)
		mustVerifyError(t, err)
		if err == nil && c == nil {
			t.Fatal("nil claims without error")
		}
	})
}

func FuzzVerifyOneTime(f *testing.F) {
	ring, r := fuzzRing(f)
	tok, err := ring.IssueReset("a@b.io", "ID1", "feed", testNow, testTTL)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{tok, "", "x.y.z", "eyJhbGciOiJub25lIn0.e30.",
		craft(f, r, `{"alg":"RS256"}`, `{"exp":"99999999999","sub":"reset","aud":{"a":1},"jti":" "}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ring.VerifyOneTime(s, SubReset, testNow)
		mustVerifyError(t, err)
	})
}

func FuzzVerifyGeneral(f *testing.F) {
	ring, r := fuzzRing(f)
	body, err := ring.SignEvent(testEvent{Name: "x"}, testNow)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(body), "", "{}", "[]", "null", `{"payload":"","signatures":null}`,
		`{"payload":"e30","signatures":[{"header":null,"protected":"","signature":""}]}`,
		`{"payload":"e30","signatures":[{"header":{"kid":"barong"},"protected":"e30","signature":""}]}`,
	} {
		f.Add([]byte(s))
	}
	keys := []VerifyKey{{KID: EventKID, Algorithm: AlgRS256, Public: r.Public()}}
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, signers, err := VerifyGeneral(b, keys)
		mustVerifyError(t, err)
		if err == nil && (payload == nil || len(signers) == 0) {
			t.Fatal("success without payload or signers")
		}
		_, err = VerifyEvent(b, r.Public(), testNow)
		mustVerifyError(t, err)
		mustVerifyError(t, ClaimChecks{Issuer: "barong", Audience: []string{"a"}, Subject: "s", IssuedAt: true, JTI: true}.Validate(b, testNow))
	})
}
