package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
)

// readyz is the decoded answer of GET /readyz.
type readyz struct {
	status int
	Status string
	Failed []string
	Checks map[string]string
}

func (ts *testServer) readyz(t *testing.T) readyz {
	t.Helper()
	r := getWith(t, ts.URL+"/readyz", nil)
	out := readyz{status: r.Status}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("readyz %d %s: %v", r.Status, r.Body, err)
	}
	return out
}

// waitReady polls /readyz until it answers status with failed (in order)
// or fails after a generous deadline; results are reused for a second.
func (ts *testServer) waitReady(t *testing.T, status int, failed ...string) readyz {
	t.Helper()
	var got readyz
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = ts.readyz(t)
		if got.status == status && strings.Join(got.Failed, ",") == strings.Join(failed, ",") {
			return got
		}
	}
	t.Fatalf("readyz %+v, want %d failing %v", got, status, failed)
	return got
}

// proxied puts a switchProxy in front of the host:port of rawURL and
// returns the URL through it.
func proxied(t *testing.T, rawURL string) (string, *switchProxy) {
	t.Helper()
	u := mustURL(t, rawURL)
	p := newSwitchProxy(t, u.Host)
	p.set(true)
	u.Host = p.ln.Addr().String()
	return u.String(), p
}

// TestReadiness cuts PostgreSQL, Redis and RabbitMQ in turn (through TCP
// proxies: the shared services are never touched) and checks that /readyz
// names the one that is down, then recovers; /healthz and identity/ping
// stay 200 throughout.
func TestReadiness(t *testing.T) {
	t.Parallel()
	dbURL, db := proxied(t, testenv.Database(t, "postgres"))
	redisURL, rd := proxied(t, testenv.Redis(t))
	amqpURL, mq := proxied(t, testenv.RabbitMQ(t))
	ts := newServer(t, map[string]string{"BARONG_DATABASE_URL": dbURL, "BARONG_REDIS_URL": redisURL,
		"EVENT_API_RABBITMQ_URL": amqpURL})

	got := ts.waitReady(t, 200)
	if got.Status != "ok" || len(got.Checks) != 3 || got.Checks["database"] != "ok" || got.Checks["redis"] != "ok" || got.Checks["rabbitmq"] != "ok" {
		t.Fatalf("ready %+v", got)
	}
	for _, c := range []struct {
		name  string
		proxy *switchProxy
	}{{"database", db}, {"redis", rd}, {"rabbitmq", mq}} {
		c.proxy.set(false)
		got := ts.waitReady(t, 503, c.name)
		if got.Status != "unavailable" || got.Checks[c.name] != "unavailable" {
			t.Fatalf("%s down: %+v", c.name, got)
		}
		for _, p := range []string{"/healthz", "/api/v2/auth/identity/ping"} {
			if r := getWith(t, ts.URL+p, nil); r.Status != 200 {
				t.Fatalf("%s with %s down: %d %s", p, c.name, r.Status, r.Body)
			}
		}
		c.proxy.set(true)
		ts.waitReady(t, 200)
	}
	if l := ts.logs.lines("not ready", map[string]any{"component": "redis"}); len(l) == 0 {
		t.Fatal("the cause of a failed check was not logged")
	}
}

// TestReadinessMigrations: a database missing a migration is not ready,
// the newest one or one below it (migrations are applied out of order:
// sqlstore.Migrate), in barong_go_migrations.
func TestReadinessMigrations(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	ts.waitReady(t, 200)
	if r := getWith(t, ts.URL+"/healthz", nil); r.Status != 200 || string(r.Body) != `{"status":"ok"}` {
		t.Fatalf("healthz %d %s", r.Status, r.Body)
	}
	db, _ := rawSQLite(t, ts)
	ctx := context.Background()
	var newest, older int64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM barong_go_migrations`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM barong_go_migrations WHERE version_id < ?`, newest).Scan(&older); err != nil || older == 0 {
		t.Fatalf("older migration %d: %v", older, err)
	}
	for _, version := range []int64{newest, older} {
		if _, err := db.ExecContext(ctx, `DELETE FROM barong_go_migrations WHERE version_id = ?`, version); err != nil {
			t.Fatal(err)
		}
		got := ts.waitReady(t, 503, "database")
		if got.Checks["database"] != "migrations pending" {
			t.Fatalf("%d missing: %+v", version, got)
		}
		// The schema is there: recording the migration again makes it ready.
		if _, err := db.ExecContext(ctx, `INSERT INTO barong_go_migrations (version_id, is_applied, tstamp) SELECT ?, 1, CURRENT_TIMESTAMP
			WHERE NOT EXISTS (SELECT 1 FROM barong_go_migrations WHERE version_id = ?)`, version, version); err != nil {
			t.Fatal(err)
		}
		ts.waitReady(t, 200)
	}
}
