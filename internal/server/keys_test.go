package server_test

import (
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/token"
	jwtv5 "github.com/golang-jwt/jwt/v5"
)

// keysWrite writes data to a new file in a temporary directory.
func keysWrite(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keysJWKS fetches the server's JWKS and returns its keys by kid.
func keysJWKS(t *testing.T, ts *testServer) map[string]any {
	t.Helper()
	r := ts.client().do(t, "GET", "/.well-known/jwks.json", nil)
	expect(t, r, 200)
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, k := range set.Keys {
		dec := func(s string) []byte {
			b, err := base64.RawURLEncoding.DecodeString(s)
			if err != nil {
				t.Fatalf("jwk %v: %v", k, err)
			}
			return b
		}
		switch {
		case k["kty"] == "OKP" && k["crv"] == "Ed25519" && k["alg"] == "EdDSA":
			out[k["kid"]] = ed25519.PublicKey(dec(k["x"]))
		case k["kty"] == "RSA" && k["alg"] == "RS256":
			out[k["kid"]] = &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k["n"])), E: int(new(big.Int).SetBytes(dec(k["e"])).Int64())}
		default:
			t.Fatalf("unexpected jwk %v", k)
		}
	}
	return out
}

// keysMember signs up a throwaway first user and an active member, and
// returns the member's client.
func keysMember(t *testing.T, ts *testServer) *client {
	t.Helper()
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "member@example.com")
	ts.activate(t, "member@example.com")
	return c
}

// keysBearer calls the resource API with a bearer token only.
func keysBearer(t *testing.T, ts *testServer, tok string) *response {
	t.Helper()
	return gwNewClient(ts.URL).do(t, "GET", "/api/v2/resource/users/me", "", map[string]string{"Authorization": "Bearer " + tok})
}

// TestEd25519Tokens: with an Ed25519 key, authz issues EdDSA tokens that
// verify with the key published in the JWKS and that the resource API takes.
func TestEd25519Tokens(t *testing.T) {
	k, err := token.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, map[string]string{"JWT_PRIVATE_KEY_PATH": keysWrite(t, "ed.pem", k.PrivatePEM())})
	tok := authzToken(t, keysMember(t, ts), "api/v2/peatio/account/balances")
	if h, _, _ := strings.Cut(tok, "."); h != base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA"}`)) {
		t.Fatalf("header %s", h)
	}
	keys := keysJWKS(t, ts)
	pub, ok := keys[k.KID()].(ed25519.PublicKey)
	if len(keys) != 1 || !ok || !pub.Equal(k.Public()) {
		t.Fatalf("jwks %v", keys)
	}
	claims := jwtv5.MapClaims{}
	if _, err := jwtv5.ParseWithClaims(tok, claims, func(*jwtv5.Token) (any, error) { return pub, nil },
		jwtv5.WithValidMethods([]string{"EdDSA"}), jwtv5.WithIssuer("barong"), jwtv5.WithAudience("peatio"), jwtv5.WithSubject("session")); err != nil {
		t.Fatalf("EdDSA token does not verify with the JWKS key: %v", err)
	}
	if claims["email"] != "member@example.com" {
		t.Fatalf("claims %v", claims)
	}
	r := keysBearer(t, ts, tok)
	expect(t, r, 200)
	if r.json(t)["email"] != "member@example.com" {
		t.Fatalf("users/me %s", r.Body)
	}
}

// TestKeyRotation: after the JWT key is replaced, tokens signed with the
// old one still pass the resource API's bearer check while the old key is
// listed in BARONG_JWT_VERIFY_KEY_PATHS, and not once it is removed.
func TestKeyRotation(t *testing.T) {
	old := newServer(t, nil)
	tok := authzToken(t, keysMember(t, old), "api/v2/barong/resource/users/me")
	oldPub := keysWrite(t, "old-pub.pem", old.Keys.Signing().PublicPEM()) // what `barong pubkey` prints
	next, err := token.GenerateRSA(2048)
	if err != nil {
		t.Fatal(err)
	}
	nextPath := keysWrite(t, "next.pem", next.PrivatePEM())

	rotated := newServerSharing(t, old, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath, "BARONG_JWT_VERIFY_KEY_PATHS": oldPub})
	r := keysBearer(t, rotated, tok)
	expect(t, r, 200)
	if r.json(t)["email"] != "member@example.com" {
		t.Fatalf("users/me %s", r.Body)
	}
	keys := keysJWKS(t, rotated)
	if len(keys) != 2 || keys[next.KID()] == nil || keys[old.Keys.Signing().KID()] == nil {
		t.Fatalf("jwks after rotation %v", keys)
	}
	// New tokens are signed with the new key only.
	c := rotated.client()
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 201)
	fresh := authzToken(t, c, "api/v2/barong/resource/users/me")
	if _, err := old.Keys.VerifyAccess(fresh, time.Now()); err == nil {
		t.Fatal("a token of the new key verifies with the old key")
	}
	// The old private key file is accepted in the list as well.
	viaPrivate := newServerSharing(t, old, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath, "BARONG_JWT_VERIFY_KEY_PATHS": old.Config.JWTPrivateKeyPath})
	expect(t, keysBearer(t, viaPrivate, tok), 200)

	// Without the old key, its tokens are refused.
	dropped := newServerSharing(t, old, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath})
	expect(t, keysBearer(t, dropped, tok), 401, "jwt.decode_and_verify")
	expect(t, keysBearer(t, dropped, fresh), 200)
}
