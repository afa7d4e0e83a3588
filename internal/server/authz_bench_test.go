package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
)

// The authz benchmarks send GET /api/v2/auth/api/v2/peatio/account/balances
// over loopback HTTP, 16 clients in flight (8 per core, one keep-alive
// connection each), against barong with
// Redis (BenchmarkAuthzCookieRedis, BenchmarkAuthzAPIKey) and against a
// bare net/http handler answering 200 with a token-sized header
// (BenchmarkBareHandler), the baseline of the same client code. Compare
// ns/op: the ratio bare/barong is the share of the bare rate barong keeps.

// authzBenchServer starts barong on Redis with a member holding a session
// (cookie, user agent) and an API key of his (kid, secret).
func authzBenchServer(b *testing.B) (ts *testServer, cookie *http.Cookie, ua, kid, secret string) {
	b.Helper()
	server.BcryptCost = 4
	prefix := fmt.Sprintf("barongbench%d:", rand.Int64())
	ts = newServerTB(b, map[string]string{"BARONG_REDIS_URL": testenv.Redis(b), "BARONG_REDIS_PREFIX": prefix})
	b.Cleanup(func() { authzBenchFlush(b, prefix) })
	c, cookie := benchMember(b, ts)
	ctx := context.Background()
	st := ts.Store
	u, err := st.UserByEmail(ctx, "member@example.com")
	if err != nil {
		b.Fatal(err)
	}
	u.OTP = true
	if err := st.UpdateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	k := &barong.APIKey{HolderType: barong.HolderUser, HolderID: u.ID, KID: "0a1b2c3d4e5f6071", Algorithm: "HS256",
		Secret: "00112233445566778899aabbccddeeff", State: "active"}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		b.Fatal(err)
	}
	return ts, cookie, c.ua, k.KID, k.Secret
}

// benchMember signs up a throwaway first user (the superadmin) and then a
// member, and returns the member's client and session cookie.
func benchMember(b *testing.B, ts *testServer) (*client, *http.Cookie) {
	b.Helper()
	var c *client
	for _, email := range []string{"first@example.com", "member@example.com"} {
		c = ts.client()
		r := c.doTB(b, "POST", "/api/v2/auth/identity/users", map[string]string{"email": email, "password": strongPassword})
		if r.Status != 201 {
			b.Fatalf("sign-up %d %s", r.Status, r.Body)
		}
	}
	for _, ck := range c.Jar.Cookies(mustURLTB(b, ts.URL)) {
		if ck.Name == ts.Config.SessionName {
			return c, ck
		}
	}
	b.Fatal("no session cookie after sign-up")
	return nil, nil
}

// authzBenchFlush deletes the Redis keys under prefix.
func authzBenchFlush(tb testing.TB, prefix string) {
	opts, err := redis.ParseURL(testenv.Redis(tb))
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}

func mustURLTB(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// runAuthzBench sends the requests prepare builds from every goroutine
// and fails on any answer but 200.
func runAuthzBench(b *testing.B, url string, prepare func(req *http.Request)) {
	b.Helper()
	b.ReportAllocs()
	b.SetParallelism(8) // 16 requests in flight on 2 cores, as wrk -c16
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			prepare(req)
			resp, err := cl.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

func BenchmarkAuthzCookieRedis(b *testing.B) {
	ts, cookie, ua, _, _ := authzBenchServer(b)
	runAuthzBench(b, ts.URL+authzPeatio, func(req *http.Request) {
		req.AddCookie(cookie)
		req.Header.Set("User-Agent", ua)
	})
}

func BenchmarkAuthzAPIKey(b *testing.B) {
	ts, _, _, kid, secret := authzBenchServer(b)
	var seq atomic.Int64
	runAuthzBench(b, ts.URL+authzPeatio, func(req *http.Request) {
		n := strconv.FormatInt(time.Now().UnixMilli(), 10) + "-" + strconv.FormatInt(seq.Add(1), 10)
		req.Header.Set("X-Auth-Apikey", kid)
		req.Header.Set("X-Auth-Nonce", n)
		req.Header.Set("X-Auth-Signature", authz.Sign(secret, n, kid))
	})
}

// bareToken is as long as a member's RS256 bearer token.
var bareToken = "Bearer " + strings.Repeat("x", 700)

func BenchmarkBareHandler(b *testing.B) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", bareToken)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(hs.Close)
	runAuthzBench(b, hs.URL+authzPeatio, func(req *http.Request) {
		req.Header.Set("User-Agent", "bench")
	})
}
