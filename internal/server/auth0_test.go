package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/barong-go/barong/api"
	"github.com/golang-jwt/jwt/v5"
)

// auth0Fake serves a JWKS and signs ID tokens like Auth0.
type auth0Fake struct {
	key *rsa.PrivateKey
	srv *httptest.Server
}

func newAuth0Fake(t *testing.T) *auth0Fake {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &auth0Fake{key: k}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}}})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *auth0Fake) token(t *testing.T, claims jwt.MapClaims) string {
	base := jwt.MapClaims{"iss": "https://tenant.auth0.test/", "aud": "client-1", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range claims {
		base[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, base)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuth0Login(t *testing.T) {
	f := newAuth0Fake(t)
	ts := newServer(t, map[string]string{"BARONG_AUTH0_DOMAIN": "tenant.auth0.test", "BARONG_AUTH0_CLIENT_ID": "client-1",
		"BARONG_AUTH0_JWKS_URL": f.srv.URL})
	ts.signUp(t, "first@example.com")
	ts.events(t)
	c := ts.client()
	path := id + "/sessions/auth0"

	expect(t, c.do(t, "POST", path, map[string]string{}), 400, "identity.session.missing_id_token", "identity.session.empty_id_token")
	expect(t, c.do(t, "POST", path, map[string]string{"id_token": "garbage"}), 422, "identity.session.auth0.invalid_params")
	expect(t, c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{"aud": "other", "email": "x@example.com", "email_verified": true})}), 422, "identity.session.auth0.invalid_params")
	expect(t, c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix(), "email": "x@example.com"})}), 422, "identity.session.auth0.invalid_params")
	expect(t, c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{})}), 401, "identity.session.auth0.invalid_params")
	expect(t, c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{"email": "new@example.com", "email_verified": false})}), 401, "identity.session.auth0.invalid_params")

	// A new verified e-mail creates an active user with email=verified.
	r := c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{"email": "new@example.com", "email_verified": true})})
	expect(t, r, 200)
	u := r.json(t)
	if u["state"] != "active" || u["level"].(float64) != 1 || u["csrf_token"] == nil {
		t.Fatalf("auth0 user %v", u)
	}
	got := names(ts.events(t))
	if got[0] != "model.user.created" || got[len(got)-1] != "system.session.create" {
		t.Fatalf("events %v", got)
	}
	// An existing user logs in.
	r = c.do(t, "POST", path, map[string]string{"id_token": f.token(t, jwt.MapClaims{"email": "first@example.com"})})
	expect(t, r, 200)
	if r.json(t)["role"] != "superadmin" {
		t.Fatalf("existing user %s", r.Body)
	}
	// As every sign-in, it marks the browser as a known device of the
	// account (the sign-in throttle's device cookie).
	if cookieValue(r, api.DeviceCookieName) == "" {
		t.Fatalf("no device cookie: %v", r.Header.Values("Set-Cookie"))
	}
}
