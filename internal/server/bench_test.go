package server_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/barong-go/barong/internal/server"
	"golang.org/x/crypto/bcrypt"
)

// benchCost is the bcrypt cost of both sign-in benchmarks (Barong's
// production cost).
const benchCost = 12

// BenchmarkBcryptVerify is the baseline: raw bcrypt verifications per
// second at benchCost, on all cores.
func BenchmarkBcryptVerify(b *testing.B) {
	h, _ := bcrypt.GenerateFromPassword([]byte(strongPassword), benchCost)
	b.ResetTimer() // the digest above costs as much as a verification
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if bcrypt.CompareHashAndPassword(h, []byte(strongPassword)) != nil {
				b.Fatal("mismatch")
			}
		}
	})
}

// BenchmarkSignIn is POST /api/v2/auth/identity/sessions over HTTP with
// the full stack (SQLite, session, activity, outbox) at the same cost.
func BenchmarkSignIn(b *testing.B) {
	ts := newBenchServer(b)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{}
		for pb.Next() {
			n.Add(1)
			req, _ := http.NewRequest("POST", ts.URL+id+"/sessions", strings.NewReader(`{"email":"first@example.com","password":"`+strongPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "bench")
			resp, err := cl.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkPing is GET /identity/ping through the whole handler chain.
func BenchmarkPing(b *testing.B) {
	ts := newBenchServer(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{}
		for pb.Next() {
			resp, err := cl.Get(ts.URL + id + "/ping")
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}

func newBenchServer(b *testing.B) *testServer {
	b.Helper()
	server.BcryptCost = benchCost
	ts := newServerTB(b, map[string]string{"BARONG_LOGIN_THROTTLE_ENABLED": "false"})
	c := ts.client()
	r := c.doTB(b, "POST", id+"/users", map[string]string{"email": "first@example.com", "password": strongPassword})
	if r.Status != 201 {
		b.Fatalf("sign-up %d %s", r.Status, r.Body)
	}
	return ts
}
