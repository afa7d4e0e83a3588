package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
)

// TestNonceReplayAcrossProcesses: two processes sharing Redis and the
// database; an API-key request (kid, nonce, signature) accepted by one is
// refused when replayed to the other, or to the same one, and a bad
// signature does not use the nonce up on either.
func TestNonceReplayAcrossProcesses(t *testing.T) {
	env := redisEnv(t)
	a := newServer(t, env)
	b := newServerSharing(t, a, env)
	a.signUp(t, "first@example.com")
	a.signUp(t, "member@example.com")
	ctx := context.Background()
	st := a.Store
	u, err := st.UserByEmail(ctx, "member@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u.OTP = true
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	k := &barong.APIKey{HolderType: barong.HolderUser, HolderID: u.ID, KID: "00112233445566bb", Algorithm: "HS256",
		Secret: "0123456789abcdef0123456789abcdef", State: "active"}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	send := func(ts *testServer, nonce, sig string) *response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+authzPeatio, nil)
		req.Header.Set("X-Auth-Apikey", k.KID)
		req.Header.Set("X-Auth-Nonce", nonce)
		req.Header.Set("X-Auth-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return &response{Status: resp.StatusCode, Header: resp.Header, Body: readAll(resp)}
	}
	for i, order := range [][2]*testServer{{a, b}, {b, a}, {a, a}} {
		n := strconv.FormatInt(time.Now().UnixMilli()+int64(i), 10)
		sig := authz.Sign(k.Secret, n, k.KID)
		expect(t, send(order[0], n, authz.Sign("wrong", n, k.KID)), 401, "authz.invalid_signature")
		expect(t, send(order[1], n, authz.Sign("wrong", n, k.KID)), 401, "authz.invalid_signature")
		expect(t, send(order[0], n, sig), 200)
		expect(t, send(order[1], n, sig), 401, "authz.nonce_expired")
		expect(t, send(order[0], n, sig), 401, "authz.nonce_expired")
	}
	// Where the nonces were checked (redisstore/nonces.go), as /metrics
	// reports it: a took the key first and checked in memory until b
	// asked for it; from then on both checked in Redis.
	metric := func(ts *testServer, line string) float64 {
		t.Helper()
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for l := range strings.Lines(string(readAll(resp))) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), line+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
		t.Fatalf("/metrics has no %s", line)
		return 0
	}
	if m := metric(a, `barong_apikey_nonce_checks_total{where="memory"}`); m < 1 {
		t.Errorf("a checked %v nonces in memory, want at least 1", m)
	}
	// a counts a key given up after Redis ran the release, which b may
	// see and go on before: wait for it. b counts its request before it
	// answers.
	given := func() float64 { return metric(a, "barong_apikey_nonce_given_up_total") }
	for deadline := time.Now().Add(10 * time.Second); given() < 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if h, g := metric(b, "barong_apikey_nonce_handoffs_total"), given(); h != 1 || g < 1 {
		t.Errorf("b asked for %v keys, a gave up %v; want 1 and at least 1", h, g)
	}
	for _, ts := range []*testServer{a, b} {
		if m := metric(ts, `barong_apikey_nonce_checks_total{where="redis"}`); m < 1 {
			t.Errorf("%v nonces checked in Redis, want at least 1", m)
		}
	}
}
