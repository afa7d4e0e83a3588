package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
)

// admBenchUsers is the number of users BenchmarkAdminUserSearch seeds.
const admBenchUsers = 100_000

// admBenchSeed fills a migrated PostgreSQL database with admBenchUsers
// users in server-side INSERT ... SELECT generate_series statements (a
// second or two for 100,000 users; no client round trip per row): 10 roles,
// levels 0-3, states active/pending/banned, creation times spread over a
// year, an email=verified label each, a profile (one of 20 countries) for
// every fifth user and a pending document label for one in a hundred.
func admBenchSeed(b *testing.B, dbURL string) {
	b.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for i, q := range []string{
		`INSERT INTO users (uid, email, password_digest, role, level, otp, state, created_at, updated_at)
		 SELECT 'ID' || upper(lpad(to_hex(g), 10, '0')), 'user' || g || '@example.com', '$2a$04$benchbenchbenchbenchbe',
		   (ARRAY['member','member','member','member','member','trader','broker','support','admin','technical'])[g % 10 + 1],
		   g % 4, g % 7 = 0, (ARRAY['active','active','pending','banned'])[g % 4 + 1],
		   timestamptz '2025-01-01 00:00:00+00' + g * interval '5 minutes',
		   timestamptz '2025-01-01 00:00:00+00' + g * interval '5 minutes' + (g % 1000) * interval '1 minute'
		 FROM generate_series(1, $1) g`,
		`INSERT INTO profiles (user_id, first_name_encrypted, postcode, city, country, state, created_at, updated_at)
		 SELECT u.id, NULL, '0100' || (u.id % 10), 'City', (ARRAY['UA','US','DE','FR','GB','PL','ES','IT','NL','SE',
		   'NO','FI','DK','CZ','SK','HU','RO','BG','GR','PT'])[(u.id / 5) % 20 + 1], 1, u.created_at, u.created_at
		 FROM users u WHERE u.id % 5 = 0`,
		`INSERT INTO labels (user_id, "key", value, scope, created_at, updated_at)
		 SELECT u.id, 'email', 'verified', 'private', u.created_at, u.created_at FROM users u WHERE u.email LIKE 'user%'`,
		`INSERT INTO labels (user_id, "key", value, scope, created_at, updated_at)
		 SELECT u.id, 'document', 'pending', 'private', u.created_at, u.updated_at FROM users u WHERE u.id % 100 = 0`,
		// A settled table, as autovacuum leaves it: visibility map set
		// (index-only scans) and statistics current.
		`VACUUM ANALYZE`,
	} {
		var args []any
		if i == 0 {
			args = []any{admBenchUsers}
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
}

// BenchmarkAdminUserSearch is GET /api/v2/admin/users (and the other admin
// user searches) over HTTP, as a signed-in superadmin, on PostgreSQL with
// 100,000 users, one sub-benchmark per filter. Each reports its p50 and
// p99 latency; "ping" (GET /identity/ping on the same server) is the bare
// HTTP baseline of the same run. Run it with a fixed count so that p99
// has enough samples:
//
//	go test ./internal/server -run '^$' -bench AdminUserSearch -benchtime 400x
func BenchmarkAdminUserSearch(b *testing.B) {
	server.BcryptCost = 4
	dbURL := testenv.Database(b, "postgres")
	ts := newServerTB(b, map[string]string{"BARONG_DATABASE_URL": dbURL})
	c := ts.client()
	r := c.doTB(b, "POST", id+"/users", ts.signUpBody("root@example.com"))
	if r.Status != 201 {
		b.Fatalf("sign-up %d %s", r.Status, r.Body)
	}
	start := time.Now()
	admBenchSeed(b, dbURL)
	b.Logf("seeded %d users in %v", admBenchUsers, time.Since(start))

	// The database floor of the largest count: SELECT COUNT(*) FROM users
	// straight through pgx, no HTTP, no rendering.
	raw, err := sql.Open("pgx", dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	b.Run("sql_count_all", func(b *testing.B) {
		admBenchTimed(b, func() (string, error) {
			var n int64
			err := raw.QueryRow("SELECT COUNT(*) FROM users").Scan(&n)
			return strconv.FormatInt(n, 10), err
		})
	})

	from := strconv.FormatInt(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Unix(), 10)
	to := strconv.FormatInt(time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC).Unix(), 10)
	for _, bc := range []struct {
		name, path string
		params     url.Values
	}{
		{"ping", id + "/ping", nil},
		{"all", "/users", nil},
		{"uid", "/users", url.Values{"uid": {"ID00000101A4"}}},
		{"email", "/users", url.Values{"email": {"User54321@example.com"}}},
		{"role", "/users", url.Values{"role": {"support"}}},
		{"country", "/users", url.Values{"country": {"UA"}}},
		{"level", "/users", url.Values{"level": {"3"}}},
		{"state", "/users", url.Values{"state": {"banned"}}},
		{"created_range", "/users", url.Values{"from": {from}, "to": {to}}},
		{"updated_range", "/users", url.Values{"range": {"updated"}, "from": {from}, "to": {to}}},
		{"role_state_level", "/users", url.Values{"role": {"member"}, "state": {"active"}, "level": {"1"}}},
		{"order_created_desc", "/users", url.Values{"order_by": {"created_at"}, "ordering": {"desc"}}},
		{"last_page", "/users", url.Values{"role": {"member"}, "page": {"500"}, "limit": {"100"}}},
		{"extended", "/users", url.Values{"extended": {"true"}, "country": {"DE"}}},
		{"pending_documents", "/users/documents/pending", nil},
		{"pending_extended", "/users/documents/pending", url.Values{"extended": {"true"}}},
		{"by_label", "/users/labels", url.Values{"key": {"document"}, "value": {"pending"}}},
	} {
		path := "/api/v2/admin" + bc.path
		if bc.name == "ping" {
			path = bc.path
		}
		if bc.params != nil {
			path += "?" + bc.params.Encode()
		}
		b.Run(bc.name, func(b *testing.B) { admBenchGet(b, c, ts.URL+path) })
	}
}

// admBenchGet times b.N sequential GETs (status 200 required).
func admBenchGet(b *testing.B, c *client, u string) {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("User-Agent", c.ua)
	admBenchTimed(b, func() (string, error) {
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return "", fmt.Errorf("%s: status %d", u, resp.StatusCode)
		}
		return resp.Header.Get("Total"), nil
	})
}

// admBenchTimed runs op b.N times and reports its p50 and p99 latency in
// ms and the number of matches op last answered.
func admBenchTimed(b *testing.B, op func() (total string, err error)) {
	lat := make([]time.Duration, 0, b.N)
	var total string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		t, err := op()
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		total = t
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if n, err := strconv.Atoi(total); err == nil {
		b.ReportMetric(float64(n), "matches")
	}
}
