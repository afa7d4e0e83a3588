package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
)

// gwSeen is a request as an upstream service behind the gateway got it.
type gwSeen struct {
	Method, URI string
	Header      http.Header
	Body        string
}

// gwUpstream is a service behind the gateway that records what reaches it.
type gwUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []gwSeen
}

func gwNewUpstream(t *testing.T) *gwUpstream {
	t.Helper()
	u := &gwUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, gwSeen{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: string(b)})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"upstream":true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

// take returns the requests received since the last call.
func (u *gwUpstream) take() []gwSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.seen
	u.seen = nil
	return s
}

// one returns the single request received since the last take.
func (u *gwUpstream) one(t *testing.T) gwSeen {
	t.Helper()
	s := u.take()
	if len(s) != 1 {
		t.Fatalf("upstream got %d requests, want 1: %+v", len(s), s)
	}
	return s[0]
}

// gwClient is a browser or API client talking to a gateway at base.
type gwClient struct {
	http.Client
	base, ua string
}

func gwNewClient(base string) *gwClient {
	jar, _ := cookiejar.New(nil)
	return &gwClient{Client: http.Client{Jar: jar, Timeout: 10 * time.Second}, base: base, ua: "Mozilla/5.0 (gateway test)"}
}

// do sends method path with body (a JSON string or "") and extra headers.
func (c *gwClient) do(t *testing.T, method, path, body string, h map[string]string) *response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.ua)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// gwBearerUID verifies an upstream's Authorization header with the
// server's keys and returns the token's uid.
func gwBearerUID(t *testing.T, ts *testServer, h http.Header) string {
	t.Helper()
	v := h.Values("Authorization")
	if len(v) != 1 || !strings.HasPrefix(v[0], "Bearer ") {
		t.Fatalf("upstream Authorization %q", v)
	}
	claims, err := ts.Keys.VerifyAccess(strings.TrimPrefix(v[0], "Bearer "), time.Now())
	if err != nil {
		t.Fatalf("upstream JWT does not verify: %v", err)
	}
	return claims.UID
}

// gwKey is an API key of a user, with its secret.
type gwKey struct{ KID, Secret string }

// headers signs a request with the key at nonce (ms since epoch).
func (k gwKey) headers(nonce int64) map[string]string {
	n := strconv.FormatInt(nonce, 10)
	return map[string]string{"X-Auth-Apikey": k.KID, "X-Auth-Nonce": n, "X-Auth-Signature": authz.Sign(k.Secret, n, k.KID)}
}

// gwAPIKey turns 2FA on for the user with e-mail and gives him an active
// API key, writing the rows directly.
func gwAPIKey(t *testing.T, ts *testServer, email, kid string) gwKey {
	t.Helper()
	ctx := context.Background()
	u, err := ts.DB.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	u.OTP = true
	if err := ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	k := &barong.APIKey{HolderID: u.ID, HolderType: barong.HolderUser, KID: kid, Algorithm: "HS256",
		Scope: []string{}, Secret: "secret-" + kid, State: "active"}
	if err := ts.DB.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	return gwKey{KID: kid, Secret: k.Secret}
}

// gwRestrict enables a restriction (the seeded one when it exists) and
// reloads the authz snapshot; the returned function disables it again.
func gwRestrict(t *testing.T, ts *testServer, category, scope, value string, code int) func() {
	t.Helper()
	ctx := context.Background()
	all, err := ts.DB.Restrictions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var r *barong.Restriction
	for i := range all {
		if all[i].Category == category && all[i].Scope == scope && all[i].Value == value {
			r = &all[i]
		}
	}
	if r == nil {
		r = &barong.Restriction{Category: category, Scope: scope, Value: value}
		err = ts.DB.CreateRestriction(ctx, r)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Code, r.State = code, "enabled"
	if err := ts.DB.UpdateRestriction(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := ts.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return func() {
		r.State = "disabled"
		if err := ts.DB.UpdateRestriction(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := ts.Authz.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
