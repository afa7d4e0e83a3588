package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/token"
	jwtv5 "github.com/golang-jwt/jwt/v5"
	owjwt "github.com/openware/pkg/jwt"
)

// openwareParse verifies a token the way the platform's Go services do,
// with the real library github.com/openware/pkg/jwt (v0.1.7): the RSA public
// key loaded from JWT_PUBLIC_KEY (base64 of the PEM, as `barong pubkey
// --base64` prints) by its KeyStore, then ParseAndValidate.
func openwareParse(tok, publicKeyBase64 string) (owjwt.Auth, error) {
	var ks owjwt.KeyStore
	if err := ks.LoadPublicKeyFromString(publicKeyBase64); err != nil {
		return owjwt.Auth{}, err
	}
	return owjwt.ParseAndValidate(tok, ks.PublicKey)
}

// openwareParseEdDSA is the library's EdDSA path: KeyStoreEdDSA reads
// base64 of a PEM "PUBLIC KEY" block whose bytes are the raw Ed25519 key
// (what `barong pubkey --raw --base64` prints), then ParseAndValidateEdDSA.
func openwareParseEdDSA(tok, publicKeyBase64 string) (owjwt.Auth, error) {
	var ks owjwt.KeyStoreEdDSA
	if err := ks.LoadPublicKeyFromString(publicKeyBase64); err != nil {
		return owjwt.Auth{}, err
	}
	return owjwt.ParseAndValidateEdDSA(tok, ks.PublicKey)
}

// peatioParse applies the rules Peatio applies to the bearer token
// (JWT_ALGORITHM RS256, JWT_ISSUER barong, JWT_AUDIENCE peatio,barong):
// RS256 only, exp and nbf, iat not in the future, jti present, sub
// "session", iss "barong", aud containing "peatio".
func peatioParse(tok string, key any) (jwtv5.MapClaims, error) {
	claims := jwtv5.MapClaims{}
	_, err := jwtv5.ParseWithClaims(tok, claims, func(*jwtv5.Token) (any, error) { return key, nil },
		jwtv5.WithValidMethods([]string{"RS256"}), jwtv5.WithIssuer("barong"), jwtv5.WithAudience("peatio"),
		jwtv5.WithSubject("session"), jwtv5.WithIssuedAt(), jwtv5.WithExpirationRequired())
	if err == nil {
		if jti, _ := claims["jti"].(string); jti == "" {
			err = jwtv5.ErrTokenInvalidId
		}
	}
	return claims, err
}

// authzToken asks the authz endpoint for c's bearer JWT.
func authzToken(t *testing.T, c *client, path string) string {
	t.Helper()
	r := c.do(t, "GET", "/api/v2/auth/"+path, nil)
	expect(t, r, 200)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("no bearer token: %v", r.Header)
	}
	return tok
}

func TestJWTCompatibility(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "member@example.com")
	u := ts.activate(t, "member@example.com")
	pub64 := base64.StdEncoding.EncodeToString(ts.Keys.Signing().PublicPEM())
	pub := ts.Keys.Signing().Public()

	tok := authzToken(t, c, "api/v2/peatio/account/balances")
	if h, _, _ := strings.Cut(tok, "."); h != base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) {
		t.Fatalf("header %s", h)
	}
	a, err := openwareParse(tok, pub64)
	if err != nil {
		t.Fatalf("openware/pkg/jwt rejects the token: %v", err)
	}
	now := time.Now().Unix()
	if a.UID != u.UID || a.Email != u.Email || a.Role != "member" || a.State != "active" || a.Level != "1" || a.Username != "" ||
		a.ReferralID != "" || strings.Join(a.Audience, ",") != "peatio,barong" || a.Subject != "session" || a.Issuer != "barong" ||
		a.Id == "" || a.IssuedAt > now || a.IssuedAt < now-5 || a.ExpiresAt != a.IssuedAt+3600 {
		t.Fatalf("openware claims %+v", a)
	}
	claims, err := peatioParse(tok, pub)
	if err != nil {
		t.Fatalf("Peatio's rules reject the token: %v", err)
	}
	if claims["uid"] != u.UID || claims["level"] != float64(1) || claims["username"] != nil || claims["referral_id"] != nil {
		t.Fatalf("claims %v", claims)
	}

	// Username and referrer (Barong sends the referrer's numeric id).
	ctx := context.Background()
	root, _ := ts.DB.UserByEmail(ctx, "root@example.com")
	u.Username, u.ReferralID = "alice", root.ID
	if err := ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if a, err = openwareParse(authzToken(t, c, "api/v2/peatio/account/balances"), pub64); err != nil || a.Username != "alice" ||
		a.ReferralID.String() != jsonNumber(root.ID) {
		t.Fatalf("openware claims %+v, %v", a, err)
	}

	// What both must refuse: expired, from the future, another key, HS256 with the public key as secret.
	expired, _ := ts.Keys.IssueAccess(token.AccessClaims{UID: u.UID, Role: "member"}, time.Now().Add(-2*time.Hour), time.Hour)
	future, _ := ts.Keys.IssueAccess(token.AccessClaims{UID: u.UID, Role: "member"}, time.Now().Add(time.Hour), time.Hour)
	otherKey, _ := token.GenerateRSA(2048)
	otherRing, _ := token.NewKeyring(otherKey)
	foreign, _ := otherRing.IssueAccess(token.AccessClaims{UID: u.UID, Role: "member"}, time.Now(), time.Hour)
	hs, _ := jwtv5.NewWithClaims(jwtv5.SigningMethodHS256, jwtv5.MapClaims{"sub": "session", "iss": "barong", "aud": []string{"peatio"},
		"jti": "x", "iat": now, "exp": now + 60, "uid": u.UID}).SignedString(ts.Keys.Signing().PublicPEM())
	for name, bad := range map[string]string{"expired": expired, "future": future, "foreign": foreign, "hs256": hs} {
		if _, err := peatioParse(bad, pub); err == nil {
			t.Errorf("%s: Peatio's rules accept it", name)
		}
		if _, err := openwareParse(bad, pub64); err == nil {
			t.Errorf("%s: openware/pkg/jwt accepts it", name)
		}
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// With an Ed25519 JWT key, tokens verify with openware/pkg/jwt's EdDSA path
// (golang-jwt v3.2.2 SigningMethodEdDSA) given the key in the raw form its
// key store reads, `barong pubkey --raw`; the PKIX form, which every other
// verifier reads, does not fit that key store.
func TestJWTCompatibilityEdDSA(t *testing.T) {
	k, err := token.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwt-ed25519.pem")
	if err := os.WriteFile(path, k.PrivatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, map[string]string{"JWT_PRIVATE_KEY_PATH": path})
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "member@example.com")
	u := ts.activate(t, "member@example.com")
	tok := authzToken(t, c, "api/v2/peatio/account/balances")
	if h, _, _ := strings.Cut(tok, "."); h != base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA"}`)) {
		t.Fatalf("header %s", h)
	}
	rawPEM, err := ts.Keys.Signing().PublicRawPEM()
	if err != nil {
		t.Fatal(err)
	}
	a, err := openwareParseEdDSA(tok, base64.StdEncoding.EncodeToString(rawPEM))
	if err != nil {
		t.Fatalf("openware/pkg/jwt's EdDSA path rejects the token: %v", err)
	}
	if a.UID != u.UID || a.Email != u.Email || a.Role != "member" || a.State != "active" || a.Level != "1" ||
		strings.Join(a.Audience, ",") != "peatio,barong" || a.Subject != "session" || a.Issuer != "barong" || a.Id == "" {
		t.Fatalf("openware claims %+v", a)
	}
	if _, err := openwareParseEdDSA(tok, base64.StdEncoding.EncodeToString(ts.Keys.Signing().PublicPEM())); err == nil {
		t.Fatal("the PKIX form fitted openware's raw key store")
	}
	other, _ := token.GenerateEd25519()
	otherRaw, _ := other.PublicRawPEM()
	if _, err := openwareParseEdDSA(tok, base64.StdEncoding.EncodeToString(otherRaw)); err == nil {
		t.Fatal("another key verified the token")
	}
}
