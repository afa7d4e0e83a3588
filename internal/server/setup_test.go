package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
)

// setupToken runs the start-time setup of ts as `barong serve` does for a
// listener on addr and returns the token and the log.
func setupToken(t *testing.T, ts *testServer, addr string) (string, string) {
	t.Helper()
	var log bytes.Buffer
	ts.Log = slog.New(slog.NewTextHandler(&log, nil))
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Setup(context.Background(), tcp)
	if err != nil {
		t.Fatal(err)
	}
	return tok, log.String()
}

// signUpWith posts a sign-up with extra parameters.
func signUpWith(t *testing.T, ts *testServer, email string, extra map[string]string) *response {
	t.Helper()
	body := map[string]string{"email": email, "password": strongPassword}
	for k, v := range extra {
		body[k] = v
	}
	return ts.client().do(t, "POST", "/api/v2/auth/identity/users", body)
}

// TestSetupToken: with no superadmin, the start logs a one-time setup
// token (stored hashed) and warns about listening on every interface; a
// plain sign-up is an ordinary member (201); a wrong token is refused
// without creating anyone; the right one makes the superadmin, once.
func TestSetupToken(t *testing.T) {
	ts := newServer(t, nil)
	tok, log := setupToken(t, ts, "0.0.0.0:8000")
	if len(tok) != 43 || !strings.Contains(log, "setup_token="+tok) || !strings.Contains(log, "BARONG_HTTP_ADDR=127.0.0.1:8000") {
		t.Fatalf("token %q, log:\n%s", tok, log)
	}
	// Stored hashed (next to the harness's own token).
	hashes, err := ts.DB.SetupTokenHashes(context.Background())
	sum := sha256.Sum256([]byte(tok))
	if err != nil || len(hashes) != 2 || !slices.Contains(hashes, hex.EncodeToString(sum[:])) || slices.Contains(hashes, tok) {
		t.Fatalf("stored %v %v", hashes, err)
	}

	// The zero-configuration smoke check: a plain sign-up answers 201.
	r := signUpWith(t, ts, "first@example.com", nil)
	expect(t, r, 201)
	if m := r.json(t); m["role"] != "member" || m["state"] != "pending" {
		t.Fatalf("plain sign-up %v", m)
	}
	ts.events(t)
	for _, bad := range []string{"x", tok[:42], tok + "x", strings.ToUpper(tok)} {
		expect(t, signUpWith(t, ts, "guess@example.com", map[string]string{"setup_token": bad}), 422, "identity.user.invalid_setup_token")
	}
	if _, err := ts.DB.UserByEmail(context.Background(), "guess@example.com"); err == nil {
		t.Fatal("a refused sign-up created its user")
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("refused sign-ups emitted %v", names(evs))
	}
	// A blank token is no token.
	expect(t, signUpWith(t, ts, "blank@example.com", map[string]string{"setup_token": "  "}), 201)
	ts.events(t)

	r = signUpWith(t, ts, "root@example.com", map[string]string{"setup_token": tok})
	expect(t, r, 201)
	if m := r.json(t); m["role"] != "superadmin" || m["state"] != "active" || m["level"].(float64) != 1 {
		t.Fatalf("setup sign-up %v", m)
	}
	if got := strings.Join(names(ts.events(t)), " "); !strings.HasPrefix(got, "model.user.created") || strings.Contains(got, "confirmation") {
		t.Fatalf("superadmin events %s", got)
	}
	expect(t, signUpWith(t, ts, "again@example.com", map[string]string{"setup_token": tok}), 422, "identity.user.invalid_setup_token")
	if hashes, _ := ts.DB.SetupTokenHashes(context.Background()); len(hashes) != 0 {
		t.Fatalf("tokens left after the claim: %v", hashes)
	}
	// A superadmin exists: the next start issues no token.
	if tok, log := setupToken(t, ts, "0.0.0.0:8000"); tok != "" || log != "" {
		t.Fatalf("token %q after setup; log %s", tok, log)
	}
}

// TestSetupTokenNotIssued: no token when BARONG_ADMIN_EMAIL makes the
// superadmin, when first-registration promotion is off, or once a
// superadmin was seeded; no bind warning on loopback.
func TestSetupTokenNotIssued(t *testing.T) {
	for _, env := range []map[string]string{
		{"BARONG_ADMIN_EMAIL": "admin@example.com", "BARONG_ADMIN_PASSWORD": strongPassword},
		{"BARONG_FIRST_REGISTRATION_SUPERADMIN": "false"},
	} {
		ts := newServer(t, env)
		if tok, log := setupToken(t, ts, "0.0.0.0:8000"); tok != "" || log != "" {
			t.Fatalf("%v: token %q, log %s", env, tok, log)
		}
	}
	ts := newServer(t, map[string]string{"BARONG_FIRST_REGISTRATION_SUPERADMIN": "false"})
	expect(t, signUpWith(t, ts, "x@example.com", map[string]string{"setup_token": "anything"}), 422, "identity.user.invalid_setup_token")

	ts = newServer(t, nil)
	tok, log := setupToken(t, ts, "127.0.0.1:8000")
	if tok == "" || strings.Contains(log, "every interface") {
		t.Fatalf("loopback: token %q, log %s", tok, log)
	}
	if err := ts.App.EnsureAdmin(context.Background(), barong.SystemActor("test"), "seeded@example.com", strongPassword); err != nil {
		t.Fatal(err)
	}
	expect(t, signUpWith(t, ts, "late@example.com", map[string]string{"setup_token": tok}), 422, "identity.user.invalid_setup_token")
}

// TestSetupTokenRace: sign-ups racing with the same token, through two
// processes sharing the database, on every database: exactly one becomes
// the superadmin, the others are refused and leave no user.
func TestSetupTokenRace(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			env := map[string]string{}
			if dialect != "sqlite" {
				env["BARONG_DATABASE_URL"] = testenvDatabase(t, dialect)
			}
			a := newServer(t, env)
			b := newServerSharing(t, a, nil)
			tok, _ := setupToken(t, a, "127.0.0.1:8000")
			const n = 8
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ts := a
					if i%2 == 1 {
						ts = b
					}
					statuses[i] = signUpWith(t, ts, fmt.Sprintf("racer%d@example.com", i), map[string]string{"setup_token": tok}).Status
				}()
			}
			wg.Wait()
			won := 0
			for _, st := range statuses {
				switch st {
				case 201:
					won++
				case 422:
				default:
					t.Fatalf("statuses %v", statuses)
				}
			}
			_, supers, err := a.DB.ListUsers(context.Background(), barong.UserFilter{Role: barong.RoleSuperadmin, Page: barong.Page{Page: 1, Limit: 10}})
			total, _ := a.DB.CountUsers(context.Background())
			if won != 1 || supers != 1 || total != 1 || err != nil {
				t.Fatalf("statuses %v: %d superadmins, %d users (%v)", statuses, supers, total, err)
			}
		})
	}
}
