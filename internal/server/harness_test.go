package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/seclog"
)

// testServer is a full barong-go over httptest with its own SQLite database.
type testServer struct {
	*server.Server
	URL string
	t   testing.TB
	// setup is a setup token issued at start; the first signUp sends it
	// and so becomes the superadmin, as an operator's first sign-up does.
	setup atomic.Pointer[string]
	// logs holds every log line of the server (JSON, level INFO and up).
	logs *logBuffer
}

// newServer starts barong-go with env on top of test defaults. The relay is
// not started: events stay in the outbox for the test to read.
func newServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	return newServerTB(t, env)
}

// Tests hash passwords at bcrypt cost 4; benchmarks set their own cost
// before they start servers.
func init() { server.BcryptCost = 4 }

// newServerTB is newServer for tests and benchmarks, at the current
// server.BcryptCost.
func newServerTB(t testing.TB, env map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"BARONG_DATABASE_URL":        "sqlite:" + filepath.Join(dir, "barong.db"),
		"JWT_PRIVATE_KEY_PATH":       filepath.Join(dir, "jwt.pem"),
		"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "enc.key"),
		"BARONG_CONFIG":              "",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := base[k]
		if ok && v == "" {
			return "", false
		}
		return v, ok
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &logBuffer{}
	var w io.Writer = logs
	if testing.Verbose() {
		w = io.MultiWriter(logs, &testWriter{t})
	}
	log := slog.New(seclog.Handler(slog.NewJSONHandler(w, nil)))
	srv, err := server.Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	ts := &testServer{Server: srv, URL: hs.URL, t: t, logs: logs}
	if pending, err := srv.App.SetupPending(context.Background()); err != nil {
		t.Fatal(err)
	} else if pending {
		tok, err := srv.App.IssueSetupToken(context.Background(), barong.SystemActor("test"))
		if err != nil {
			t.Fatal(err)
		}
		ts.setup.Store(&tok)
	}
	return ts
}

// logBuffer collects log lines safely across goroutines; with discard
// set (benchmarks) it keeps nothing.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	discard bool
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.discard {
		return len(p), nil
	}
	return b.buf.Write(p)
}

// lines returns the decoded log lines whose msg is msg and whose
// attributes include every pair of match.
func (b *logBuffer) lines(msg string, match map[string]any) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || m["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && fmt.Sprint(m[k]) == fmt.Sprint(v)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// text returns everything logged so far.
func (b *logBuffer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// client is a browser-like HTTP client with cookies and a user agent.
type client struct {
	*http.Client
	ts   *testServer
	ua   string
	csrf string
}

func (ts *testServer) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{Client: &http.Client{Jar: jar}, ts: ts, ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// errors returns the keys of an {"errors":[...]} body.
func (r *response) errors() []string {
	var e struct{ Errors []string }
	_ = json.Unmarshal(r.Body, &e)
	return e.Errors
}

// do sends method path with a JSON body (nil for none).
func (c *client) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	return c.doTB(t, method, path, body)
}

// doTB is do for tests and benchmarks.
func (c *client) doTB(t testing.TB, method, path string, body any) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		case url.Values:
			rd = strings.NewReader(b.Encode())
		default:
			j, _ := json.Marshal(b)
			rd = strings.NewReader(string(j))
		}
	}
	req, err := http.NewRequest(method, c.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch body.(type) {
	case url.Values:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case nil:
	default:
		req.Header.Set("Content-Type", "application/json")
	}
	return c.roundTrip(t, req)
}

// roundTrip sends req as the client (user agent, CSRF header when set,
// cookies) and reads the answer.
func (c *client) roundTrip(t testing.TB, req *http.Request) *response {
	t.Helper()
	req.Header.Set("User-Agent", c.ua)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// expect asserts status and, when given, the exact error keys.
func expect(t *testing.T, r *response, status int, keys ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if len(keys) > 0 {
		got := r.errors()
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Fatalf("errors %v, want %v", got, keys)
		}
	}
}

// events drains the outbox and returns the events written so far.
func (ts *testServer) events(t *testing.T) []event {
	t.Helper()
	var out []event
	_, err := ts.DB.DeliverOutbox(context.Background(), 1000, func(_ context.Context, ev barong.OutboxEvent) error {
		var m map[string]any
		if err := json.Unmarshal(ev.Body, &m); err != nil {
			t.Fatalf("event body %s: %v", ev.Body, err)
		}
		out = append(out, event{Name: ev.Name, Body: m, Raw: ev.Body})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type event struct {
	Name string
	Body map[string]any
	Raw  []byte
}

// record is the event's "record" object (nil when it has none).
func (e event) record() map[string]any {
	r, _ := e.Body["record"].(map[string]any)
	return r
}

func names(evs []event) []string {
	var n []string
	for _, e := range evs {
		n = append(n, e.Name)
	}
	return n
}

// find returns the first event named name.
func find(t *testing.T, evs []event, name string) event {
	t.Helper()
	for _, e := range evs {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no event %s in %v", name, names(evs))
	return event{}
}

const strongPassword = "Tr0ub4dor&3-Horse"

// signUp registers email with the strong password and returns the client
// holding the session.
func (ts *testServer) signUp(t *testing.T, email string) (*client, map[string]any) {
	t.Helper()
	c := ts.client()
	r := c.do(t, "POST", "/api/v2/auth/identity/users", ts.signUpBody(email))
	expect(t, r, 201)
	m := r.json(t)
	c.csrf, _ = m["csrf_token"].(string)
	return c, m
}

// signUpBody is the sign-up of email with the harness's password; the
// first one carries the setup token.
func (ts *testServer) signUpBody(email string) map[string]string {
	body := map[string]string{"email": email, "password": strongPassword}
	if tok := ts.setup.Swap(nil); tok != nil {
		body["setup_token"] = *tok
	}
	return body
}

// activate makes the user active with level 1, as a confirmed e-mail does,
// writing the rows through the service's store (so that Redis principal
// snapshots are invalidated as for any change).
func (ts *testServer) activate(t *testing.T, email string) *barong.User {
	t.Helper()
	ctx := context.Background()
	st := ts.Store
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateLabel(ctx, &barong.Label{UserID: u.ID, Key: "email", Value: "verified", Scope: "private"}); err != nil {
		t.Fatal(err)
	}
	u.State, u.Level = "active", 1
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

const res = "/api/v2/auth/resource"

// newServerSharing starts a second server on the same database, keys and
// environment as ts: another process of the same deployment.
func newServerSharing(t *testing.T, ts *testServer, env map[string]string) *testServer {
	t.Helper()
	e := map[string]string{
		"BARONG_DATABASE_URL":        ts.Config.DatabaseURL,
		"JWT_PRIVATE_KEY_PATH":       ts.Config.JWTPrivateKeyPath,
		"BARONG_ENCRYPTION_KEY_PATH": ts.Config.EncryptionKeyPath,
	}
	for k, v := range env {
		e[k] = v
	}
	return newServer(t, e)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testenvDatabase(t *testing.T, dialect string) string { return testenv.Database(t, dialect) }

// rawSQLite opens ts's SQLite file directly (to read stored columns or
// backdate rows), closed when the test ends; ok is false when ts is not on
// SQLite.
func rawSQLite(t *testing.T, ts *testServer) (db *sql.DB, ok bool) {
	t.Helper()
	path, ok := strings.CutPrefix(ts.Config.DatabaseURL, "sqlite:")
	if !ok {
		return nil, false
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, true
}

func readAll(resp *http.Response) []byte {
	b, _ := io.ReadAll(resp.Body)
	return b
}

// onEachDatabase runs f as a parallel subtest on each database, SQLite,
// PostgreSQL and MariaDB, with env: a copy of base whose
// BARONG_DATABASE_URL names a fresh database of that dialect (SQLite: the
// harness's own file).
func onEachDatabase(t *testing.T, base map[string]string, f func(t *testing.T, env map[string]string)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := maps.Clone(base)
			if env == nil {
				env = map[string]string{}
			}
			if dialect != "sqlite" {
				env["BARONG_DATABASE_URL"] = testenv.Database(t, dialect)
			}
			f(t, env)
		})
	}
}
