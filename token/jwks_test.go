package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"testing"
)

// parseJWK is an independent JWK reader used to check what we publish.
func parseJWK(t *testing.T, j map[string]string) crypto.PublicKey {
	t.Helper()
	switch j["kty"] {
	case "RSA":
		n, err := b64.DecodeString(j["n"])
		if err != nil {
			t.Fatalf("n: %v", err)
		}
		e, err := b64.DecodeString(j["e"])
		if err != nil {
			t.Fatalf("e: %v", err)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	case "OKP":
		if j["crv"] != "Ed25519" {
			t.Fatalf("crv = %q", j["crv"])
		}
		x, err := b64.DecodeString(j["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			t.Fatalf("x: %v (%d bytes)", err, len(x))
		}
		return ed25519.PublicKey(x)
	}
	t.Fatalf("unknown kty %q", j["kty"])
	return nil
}

func TestKeyringJWKS(t *testing.T) {
	t.Parallel()
	r, old, ed := testKeys(t)
	ring := mustRing(t, r, old, ed, r) // r twice: listed once
	raw, err := ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, raw)
	}
	want := []*Key{r, old, ed}
	if len(set.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys, want %d: %s", len(set.Keys), len(want), raw)
	}
	for i, j := range set.Keys {
		k := want[i]
		if j["kid"] != k.KID() || j["alg"] != k.Algorithm() || j["use"] != "sig" {
			t.Fatalf("key %d: kid/alg/use = %s/%s/%s, want %s/%s/sig", i, j["kid"], j["alg"], j["use"], k.KID(), k.Algorithm())
		}
		pub := parseJWK(t, j)
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Fatalf("key %d: JWK does not decode to the public key", i)
		}
	}
	if set.Keys[0]["e"] != "AQAB" {
		t.Fatalf("e = %q", set.Keys[0]["e"])
	}

	single, err := ed.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(single, &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["kty"] != "OKP" {
		t.Fatalf("Key.JWKS = %s (%v)", single, err)
	}
}
