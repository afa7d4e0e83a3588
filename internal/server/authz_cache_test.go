package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
)

// authzPeatio is an authz path a member may use (default seeds).
const authzPeatio = "/api/v2/auth/api/v2/peatio/account/balances"

// authzCacheCopyCookies gives to of the second server the cookies c holds
// for from.
func authzCacheCopyCookies(t *testing.T, from, to *testServer, c *client) *client {
	t.Helper()
	oc := to.client()
	u, ou := mustURL(t, from.URL), mustURL(t, to.URL)
	for _, ck := range c.Jar.Cookies(u) {
		ck.Domain = ""
		oc.Jar.SetCookies(ou, append(oc.Jar.Cookies(ou), ck))
	}
	return oc
}

// authzCacheRole reads the role claim of the bearer token of an answer.
func authzCacheRole(t *testing.T, ts *testServer, r *response) string {
	t.Helper()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, err := ts.Keys.VerifyAccess(tok, time.Now())
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	return c.Role + "/" + c.State
}

var authzCacheNonce atomic.Int64

// authzCacheKeyGet sends a signed API-key GET of the authz path.
func authzCacheKeyGet(t *testing.T, ts *testServer, kid, secret string) *response {
	t.Helper()
	n := strconv.FormatInt(time.Now().UnixMilli(), 10) + "-" + strconv.FormatInt(authzCacheNonce.Add(1), 10)
	req, _ := http.NewRequest("GET", ts.URL+authzPeatio, nil)
	req.Header.Set("X-Auth-Apikey", kid)
	req.Header.Set("X-Auth-Nonce", n)
	req.Header.Set("X-Auth-Signature", authz.Sign(secret, n, kid))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: readAll(resp)}
}

// TestAuthzCacheAcrossProcesses: two processes sharing Redis and the
// database; changes written through the service on one are in force on
// both at the next request, although both cache snapshots and tokens.
func TestAuthzCacheAcrossProcesses(t *testing.T) {
	env := redisEnv(t)
	ts := newServer(t, env)
	other := newServerSharing(t, ts, env)
	ts.signUp(t, "first@example.com")
	c, _ := ts.signUp(t, "member@example.com")
	oc := authzCacheCopyCookies(t, ts, other, c)
	for _, cl := range []*client{c, oc, c, oc} {
		r := cl.do(t, "GET", authzPeatio, nil)
		expect(t, r, 200)
		if got := authzCacheRole(t, ts, r); got != "member/pending" {
			t.Fatalf("claims %s", got)
		}
	}

	ctx := context.Background()
	st := ts.Store // what the service writes through
	u, err := st.UserByEmail(ctx, "member@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u.Role, u.State, u.OTP = "trader", barong.StateActive, true
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{c, oc} {
		r := cl.do(t, "GET", "/api/v2/auth/api/v2/peatio/market/orders", nil)
		expect(t, r, 200)
		if got := authzCacheRole(t, ts, r); got != "trader/active" {
			t.Fatalf("claims after the change: %s", got)
		}
	}

	key := &barong.APIKey{HolderType: barong.HolderUser, HolderID: u.ID, KID: "00112233445566aa", Algorithm: "HS256",
		Secret: "0123456789abcdef0123456789abcdef", State: "active"}
	if err := st.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*testServer{ts, other, ts, other} {
		expect(t, authzCacheKeyGet(t, s, key.KID, key.Secret), 200)
	}
	key.State = "inactive"
	if err := st.UpdateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*testServer{ts, other} {
		expect(t, authzCacheKeyGet(t, s, key.KID, key.Secret), 401, "authz.apikey_not_active")
	}

	u.State = barong.StateBanned
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{c, oc} {
		expect(t, cl.do(t, "GET", authzPeatio, nil), 401, "authz.user_not_active")
	}
}
