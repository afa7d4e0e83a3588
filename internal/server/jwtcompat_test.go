package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/token"
	jwtv3 "github.com/golang-jwt/jwt"
	jwtv5 "github.com/golang-jwt/jwt/v5"
)

// openwareAuth has the shape of github.com/openware/pkg/jwt's Auth, the
// claims type of the platform's Go services (that module is not served by
// the Go module proxy here, so its shape is restated on the library it
// wraps, github.com/golang-jwt/jwt v3.2.2).
type openwareAuth struct {
	UID        string      `json:"uid"`
	State      string      `json:"state"`
	Email      string      `json:"email"`
	Username   string      `json:"username"`
	Role       string      `json:"role"`
	ReferralID json.Number `json:"referral_id"`
	Level      json.Number `json:"level"`
	Audience   []string    `json:"aud,omitempty"`

	jwtv3.StandardClaims
}

// openwareParse is what openware/pkg/jwt's ParseAndValidate does: parse
// with the claims above and the RSA public key that JWT_PUBLIC_KEY (base64
// of the PEM, as `barong pubkey --base64` prints) holds.
func openwareParse(tok, publicKeyBase64 string) (openwareAuth, error) {
	var a openwareAuth
	pemBytes, err := base64.StdEncoding.DecodeString(publicKeyBase64)
	if err != nil {
		return a, err
	}
	key, err := jwtv3.ParseRSAPublicKeyFromPEM(pemBytes)
	if err != nil {
		return a, err
	}
	_, err = jwtv3.ParseWithClaims(tok, &a, func(*jwtv3.Token) (interface{}, error) { return key, nil })
	return a, err
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
