package authz

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/sqlstore"
)

// The periodic refresh reloads the permissions and restrictions only when
// the tables' fingerprint changed (insert, update, delete) or changed in
// the last minute; otherwise it reads one row.
func TestRefreshOnlyOnChange(t *testing.T) {
	ctx := context.Background()
	cipher, err := crypt.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "b.db"), sqlstore.Options{Cipher: cipher})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := &barong.Permission{Action: "ACCEPT", Role: "member", Verb: "GET", Path: "api/v2/peatio"}
	if err := db.CreatePermission(ctx, p); err != nil {
		t.Fatal(err)
	}
	e := New(Config{SessionExpire: time.Minute, JWTExpire: time.Minute}, db, db, db, testRing(t), nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Now()
	e.now = func() time.Time { return now }
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	refresh := func(want bool, why string) {
		t.Helper()
		got, err := e.refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: reloaded=%v, want %v", why, got, want)
		}
	}
	refresh(true, "a change within the last minute")
	now = now.Add(2 * time.Minute)
	refresh(false, "nothing changed for two minutes")
	refresh(false, "still nothing")

	q := &barong.Permission{Action: "DROP", Role: "member", Verb: "POST", Path: "api/v2/peatio/orders"}
	if err := db.CreatePermission(ctx, q); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	refresh(true, "insert")
	if n := len(e.snap.Load().perms["member"]); n != 2 {
		t.Fatalf("%d member permissions after the insert, want 2", n)
	}
	refresh(false, "after the insert")

	time.Sleep(1100 * time.Millisecond) // a later second for updated_at
	q.Path = "api/v2/peatio/market"
	if err := db.UpdatePermission(ctx, q); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	refresh(true, "update")
	if got := e.snap.Load().perms["member"][1].Path; got != "api/v2/peatio/market" {
		t.Fatalf("path after the update %q", got)
	}

	if err := db.DeletePermission(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	refresh(true, "delete")
	if n := len(e.snap.Load().perms["member"]); n != 1 {
		t.Fatalf("%d member permissions after the delete, want 1", n)
	}

	if err := db.CreateRestriction(ctx, &barong.Restriction{Category: "blacklist", Scope: "ip", Value: "10.0.0.1", State: "enabled"}); err != nil {
		t.Fatal(err)
	}
	refresh(true, "restriction insert")
	now = now.Add(2 * time.Minute)
	refresh(false, "after the restriction insert")
}
