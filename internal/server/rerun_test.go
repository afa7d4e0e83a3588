package server_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/jackc/pgx/v5/pgconn"
)

// rerunStore makes, while on, every transaction fail its first attempt
// after fn ran to the end, with a serialization failure: the store rolls
// the attempt back and runs fn again, as after a real conflict.
type rerunStore struct {
	barong.Store
	on      atomic.Bool
	retries atomic.Int64
}

func (s *rerunStore) InTx(ctx context.Context, fn func(barong.Tx) error) error {
	first := s.on.Load()
	return s.Store.InTx(ctx, func(tx barong.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if first {
			first = false
			s.retries.Add(1)
			return &pgconn.PgError{Code: "40001", Message: "injected by rerunStore"}
		}
		return nil
	})
}

// Every server of the tests writes through a rerunStore (off by default).
func init() {
	server.WrapStore = func(s barong.Store) barong.Store { return &rerunStore{Store: s} }
}

// rerunFlow drives the API through most of its transactions (sign-ups,
// the first superadmin, e-mail confirmation, logins, password reset and
// change, profiles, labels, phones, documents, 2FA, API keys, admin
// labels, account deletion) and returns the events in the outbox and the
// final rows of the member.
func rerunFlow(t *testing.T, ts *testServer) ([]string, *barong.User, []barong.Label) {
	t.Helper()
	ctx := context.Background()
	var evs []string
	drain := func() []event {
		got := ts.events(t)
		for _, e := range got {
			evs = append(evs, e.Name)
		}
		return got
	}
	root, _ := ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "member@example.com")
	tok := find(t, drain(), "system.user.email.confirmation.token").record()["token"].(string)
	expect(t, ts.client().do(t, "POST", "/api/v2/identity/users/email/confirm_code", map[string]string{"token": tok}), 201)
	expect(t, c.do(t, "POST", "/api/v2/identity/users/password/generate_code", map[string]string{"email": "member@example.com"}), 201)
	reset := find(t, drain(), "system.user.password.reset.token").record()["token"].(string)
	pw := strongPassword + "-2"
	expect(t, c.do(t, "POST", "/api/v2/identity/users/password/confirm_code", map[string]string{
		"reset_password_token": reset, "password": pw, "confirm_password": pw}), 201)
	c = ts.client()
	r := c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": "member@example.com", "password": pw})
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	expect(t, c.do(t, "PUT", res+"/users/password", map[string]string{"old_password": pw, "new_password": strongPassword, "confirm_password": strongPassword}), 201)
	expect(t, c.do(t, "PUT", res+"/users/me", map[string]string{"data": `{"language":"en"}`}), 200)

	expect(t, c.do(t, "POST", res+"/profiles", resAProfileBody()), 201)
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"city": "Lviv", "confirm": true}), 200)
	expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "tag", "value": "first"}), 201)
	expect(t, c.do(t, "PATCH", res+"/labels/tag", map[string]string{"value": "second"}), 200)
	expect(t, c.do(t, "DELETE", res+"/labels/tag", nil), 204)
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "+380501234567"}), 200)
	u, err := ts.DB.UserByEmail(ctx, "member@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ps := phoneRows(t, ts, u.ID)
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "+380501234567", "verification_code": ps[0].Code}), 201)
	expect(t, docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "AB123456", "doc_expire", docFuture()), docPNG("a.png")), 201)

	r = c.do(t, "POST", res+"/otp/generate_qrcode", nil)
	expect(t, r, 200)
	secret := r.json(t)["data"].(map[string]any)["url"].(string)
	q, _ := url.ParseQuery(secret[strings.Index(secret, "?")+1:])
	a := &otpAuthenticator{ts: ts, userID: u.ID, secret: q.Get("secret")}
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": a.code(t)}), 200)
	apiKeysCreate(t, c, a, nil)

	label := map[string]string{"uid": u.UID, "key": "document", "value": "verified", "scope": "private"}
	expect(t, root.do(t, "POST", adm+"/users/labels/update", label), 200)
	expect(t, c.do(t, "DELETE", res+"/users/me?"+url.Values{"password": {strongPassword}, "otp_code": {a.code(t)}}.Encode(), nil), 204)
	drain()

	u, err = ts.DB.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := ts.DB.LabelsByUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return evs, u, ls
}

// TestTransactionsSafeToRerun runs the flow twice on every database: once
// as is, once with every transaction failing its first
// attempt after doing all its work. The answers, the events (names and
// order) and the final user and labels are the same: no callback carries
// anything from a failed attempt to the next, and no event of a failed
// attempt survives.
func TestTransactionsSafeToRerun(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			run := func(rerun bool) ([]string, *barong.User, []barong.Label) {
				env := map[string]string{"BARONG_STORAGE_LOCAL_DIR": t.TempDir()}
				if dialect != "sqlite" {
					env["BARONG_DATABASE_URL"] = testenv.Database(t, dialect)
				}
				ts := newServer(t, env)
				rs := ts.Store.(*rerunStore)
				rs.on.Store(rerun)
				evs, u, ls := rerunFlow(t, ts)
				if rerun && rs.retries.Load() < 20 {
					t.Fatalf("%d transactions re-run", rs.retries.Load())
				}
				return evs, u, ls
			}
			wantEvs, wantUser, wantLabels := run(false)
			evs, u, ls := run(true)
			if got, want := strings.Join(evs, "\n"), strings.Join(wantEvs, "\n"); got != want {
				t.Fatalf("events with re-runs:\n%s\nwithout:\n%s", got, want)
			}
			if u.State != wantUser.State || u.Level != wantUser.Level || u.OTP != wantUser.OTP || u.Role != wantUser.Role || u.Data != wantUser.Data {
				t.Fatalf("user with re-runs %+v, without %+v", u, wantUser)
			}
			if len(ls) != len(wantLabels) {
				t.Fatalf("labels with re-runs %+v, without %+v", ls, wantLabels)
			}
			for i := range ls {
				if ls[i].Key != wantLabels[i].Key || ls[i].Value != wantLabels[i].Value || ls[i].Scope != wantLabels[i].Scope {
					t.Fatalf("labels with re-runs %+v, without %+v", ls, wantLabels)
				}
			}
		})
	}
}
