package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// A software WebAuthn authenticator for the passkey tests: ECDSA P-256
// credentials, attestation objects in the "none" and "packed" (self)
// formats and assertions, each built and signed as WebAuthn Level 2 §6
// says (client data JSON, authenticator data, CBOR, DER signatures over
// authenticatorData || SHA-256(clientDataJSON)). The server's verification
// is the real one.

var b64u = base64.RawURLEncoding

// softKey is one credential of the software authenticator.
type softKey struct {
	priv   *ecdsa.PrivateKey
	id     []byte
	handle []byte // the user handle the credential was created for
	rpID   string
	count  uint32 // signature counter; 0 = the authenticator keeps none
	// counting makes every signature advance count.
	counting bool
}

// Authenticator data flags.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// cbor encodes the few CBOR items WebAuthn needs: unsigned and negative
// integers, byte and text strings, and maps (kv: key, value, ... in the
// order given, which the callers keep canonical).
type cbor []byte

func (c cbor) head(major byte, n uint64) cbor {
	switch {
	case n < 24:
		return append(c, major<<5|byte(n))
	case n < 1<<8:
		return append(c, major<<5|24, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(c, major<<5|25), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(c, major<<5|26), uint32(n))
	}
}

func (c cbor) item(v any) cbor {
	switch x := v.(type) {
	case int:
		if x >= 0 {
			return c.head(0, uint64(x))
		}
		return c.head(1, uint64(-1-x))
	case []byte:
		return append(c.head(2, uint64(len(x))), x...)
	case string:
		return append(c.head(3, uint64(len(x))), x...)
	case []any: // a map as key, value pairs
		c = c.head(5, uint64(len(x)/2))
		for _, e := range x {
			c = c.item(e)
		}
		return c
	}
	panic("cbor: unsupported type")
}

// newSoftKey makes a credential for rpID and the user handle (base64url
// as the creation options carry it).
func newSoftKey(t testing.TB, rpID, handle string, counting bool) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h, err := b64u.DecodeString(handle)
	if err != nil {
		t.Fatalf("user handle %q: %v", handle, err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	k := &softKey{priv: priv, id: id, handle: h, rpID: rpID, counting: counting}
	if counting {
		k.count = 1
	}
	return k
}

// coseKey is the credential public key as a COSE_Key (EC2, ES256, P-256).
func (k *softKey) coseKey() []byte {
	pub, err := k.priv.PublicKey.ECDH()
	if err != nil {
		panic(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	return cbor{}.item([]any{1, 2, 3, -7, -1, 1, -2, raw[1:33], -3, raw[33:65]})
}

func (k *softKey) sign(authData, clientData []byte) []byte {
	cd := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), cd[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		panic(err)
	}
	return sig
}

// authData is rpIdHash || flags || signCount (|| attested credential data).
func (k *softKey) authData(rpID string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	b := append(h[:], flags)
	b = binary.BigEndian.AppendUint32(b, k.count)
	return append(b, attested...)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// ceremony are the knobs of one create or get.
type ceremony struct {
	origin string // the origin the browser reports
	rpID   string // the RP id hashed into the authenticator data ("" = the key's)
	flags  byte   // authenticator data flags (0 = UP|UV)
	format string // attestation format: none or packed
}

func (c ceremony) with(k *softKey) ceremony {
	if c.rpID == "" {
		c.rpID = k.rpID
	}
	if c.flags == 0 {
		c.flags = flagUP | flagUV
	}
	if c.format == "" {
		c.format = "none"
	}
	return c
}

// create answers creation options ({"publicKey":{...}}) with a new
// credential: the PublicKeyCredential JSON a browser returns.
func (k *softKey) create(t testing.TB, options []byte, c ceremony) map[string]any {
	t.Helper()
	c = c.with(k)
	cd := clientData("webauthn.create", challengeOf(t, options), c.origin)
	attested := make([]byte, 16) // AAGUID: zero for a software authenticator
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), k.coseKey()...)
	ad := k.authData(c.rpID, c.flags|flagAT, attested)
	stmt := []any{}
	if c.format == "packed" {
		stmt = []any{"alg", -7, "sig", k.sign(ad, cd)}
	}
	att := cbor{}.item([]any{"fmt", c.format, "attStmt", stmt, "authData", ad})
	return map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att),
			"transports": []string{"internal", "hybrid"}}}
}

// get answers request options with an assertion.
func (k *softKey) get(t testing.TB, options []byte, c ceremony) map[string]any {
	t.Helper()
	return k.assert(challengeOf(t, options), c)
}

// challengeOf is the challenge of ceremony options {"publicKey":{...}}.
func challengeOf(t testing.TB, options []byte) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("ceremony options %s: %v", options, err)
	}
	return o.PublicKey.Challenge
}

// assert signs an assertion of challenge.
func (k *softKey) assert(challenge string, c ceremony) map[string]any {
	c = c.with(k)
	if k.counting {
		k.count++
	}
	cd := clientData("webauthn.get", challenge, c.origin)
	ad := k.authData(c.rpID, c.flags, nil)
	return map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(k.sign(ad, cd)), "userHandle": b64u.EncodeToString(k.handle)}}
}
