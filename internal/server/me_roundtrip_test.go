package server_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/barong-go/barong/sqlstore"
)

// countingServer serves ts's handler with every SQL statement of a request
// counted in n.
func countingServer(t *testing.T, ts *testServer, n *atomic.Int64) *testServer {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.Handler.ServeHTTP(w, r.WithContext(sqlstore.CountStatements(r.Context(), n)))
	}))
	t.Cleanup(hs.Close)
	return &testServer{Server: ts.Server, URL: hs.URL, t: t}
}

// GET users/me with a cookie session reads the user row and every record
// the entity shows in one SQL statement. The session and the user's claims
// the decision needs are kept in process memory (authz's cache), with SQL
// sessions as with Redis, so the request makes exactly one database round
// trip.
func TestMeDatabaseRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
		want int64
	}{
		{"sqlite_sql_sessions", func(t *testing.T) map[string]string { return nil }, 1},
		{"postgres_redis_sessions", func(t *testing.T) map[string]string {
			env := redisEnv(t)
			env["BARONG_DATABASE_URL"] = testenvDatabase(t, "postgres")
			return env
		}, 1},
		{"mysql_redis_sessions", func(t *testing.T) map[string]string {
			env := redisEnv(t)
			env["BARONG_DATABASE_URL"] = testenvDatabase(t, "mysql")
			return env
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newServer(t, tc.env(t))
			c, _ := ts.signUp(t, "me@example.com")
			var n atomic.Int64
			c.ts = countingServer(t, ts, &n)
			// The first request of a session loads it into the cache.
			first := c.do(t, "GET", res+"/users/me", nil)
			expect(t, first, 200)
			const requests = 5
			n.Store(0)
			for range requests {
				r := c.do(t, "GET", res+"/users/me", nil)
				expect(t, r, 200)
				if m := r.json(t); m["email"] != "me@example.com" || m["labels"] == nil || m["profiles"] == nil {
					t.Fatalf("entity %s", r.Body)
				}
			}
			if got := n.Load(); got != tc.want*requests {
				t.Fatalf("%d SQL statements for %d requests, want %d each", got, requests, tc.want)
			}
		})
	}
}
