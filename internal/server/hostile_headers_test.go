package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestHostileHeaders signs up, signs in (right and wrong password), reads
// and changes the session's user and calls the gateway with hostile
// User-Agent, X-Forwarded-For and paths on the three databases (the user
// agent is stored with every activity and session): never a 5xx.
func TestHostileHeaders(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if dialect != "sqlite" {
				env["BARONG_DATABASE_URL"] = testenvDatabase(t, dialect)
			}
			ts := newServer(t, env)
			ts.signUp(t, "root@example.com")
			uas := map[string]string{
				"empty": "", "10k": strings.Repeat("u", 10000), "70k": strings.Repeat("v", 70000),
				"200k": strings.Repeat("w", 200000), "70k emoji": strings.Repeat("😀", 17600),
				"invalid utf8": "Mozilla\xff\xfe", "latin1": "Mozilla \xe9t\xe9",
			}
			n := 0
			for name, ua := range uas {
				for _, xff := range []string{"", "not-an-ip", "1.2.3.4, " + strings.Repeat("9", 300), "\xff"} {
					n++
					c := ts.client()
					c.ua = ua
					what := fmt.Sprintf("ua %s xff %.20q", name, xff)
					send := func(method, path string, body any) *response {
						t.Helper()
						var rd io.Reader
						if body != nil {
							b, _ := json.Marshal(body)
							rd = bytes.NewReader(b)
						}
						req, err := http.NewRequest(method, ts.URL+path, rd)
						if err != nil {
							t.Fatal(err)
						}
						if body != nil {
							req.Header.Set("Content-Type", "application/json")
						}
						if xff != "" {
							req.Header.Set("X-Forwarded-For", xff)
						}
						return c.roundTrip(t, req)
					}
					email := fmt.Sprintf("h%d@example.com", n)
					for _, step := range []struct {
						method, path string
						body         any
					}{
						{"POST", "/api/v2/auth/identity/users", map[string]string{"email": email, "password": strongPassword}},
						{"POST", "/api/v2/auth/identity/sessions", map[string]string{"email": email, "password": "wrong"}},
						{"POST", "/api/v2/auth/identity/sessions", map[string]string{"email": email, "password": strongPassword}},
						{"GET", "/api/v2/auth/resource/users/me", nil},
						{"GET", "/api/v2/auth/resource/users/activity/all", nil},
						{"GET", "/api/v2/auth/api/v2/barong/resource/users/me", nil},
						{"GET", "/api/v2/auth/%FF%00/x", nil},
						{"GET", "/api/v2/auth/" + strings.Repeat("p/", 5000), nil},
					} {
						r := send(step.method, step.path, step.body)
						if os.Getenv("HOSTILE_STATS") != "" {
							fmt.Printf("STAT %s %s %s %d\n", dialect, what, step.path[:min(len(step.path), 50)], r.Status)
						}
						if r.Status == 201 {
							c.csrf, _ = r.json(t)["csrf_token"].(string)
						}
						if r.Status >= 500 || r.Status == 0 {
							t.Errorf("%s %s %s: %d %.300s", what, step.method, step.path[:min(len(step.path), 60)], r.Status, r.Body)
						}
					}
				}
			}
		})
	}
}
