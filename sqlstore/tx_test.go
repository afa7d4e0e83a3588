package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/barong-go/barong"
)

type userRecord struct {
	UID   string `json:"uid"`
	Email string `json:"email"`
}

type userUpdated struct {
	Record  userRecord     `json:"record"`
	Changes map[string]any `json:"changes"`
}

func TestEventBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ev   barong.Event
		want string
	}{
		{barong.Event{Name: "model.user.updated", Payload: userUpdated{Record: userRecord{"ID1", "a&b@x.io"}, Changes: map[string]any{"level": 1}}},
			`{"record":{"uid":"ID1","email":"a&b@x.io"},"changes":{"level":1},"name":"model.user.updated"}`},
		{barong.Event{Name: "system.x", Payload: struct{}{}}, `{"name":"system.x"}`},
		{barong.Event{Name: "system.x"}, `{"name":"system.x"}`},
		{barong.Event{Name: "system.x", Payload: json.RawMessage(` { } `)}, `{"name":"system.x"}`},
		{barong.Event{Name: "system.x", Payload: map[string]string{"b": "2", "a": "1"}}, `{"a":"1","b":"2","name":"system.x"}`},
	}
	for _, c := range cases {
		got, err := eventBody(c.ev)
		if err != nil || string(got) != c.want {
			t.Errorf("eventBody(%+v) = %s, %v; want %s", c.ev, got, err, c.want)
		}
	}
	for _, bad := range []barong.Event{{Name: "x", Payload: "text"}, {Name: "x", Payload: []int{1}}, {Payload: struct{}{}}} {
		if _, err := eventBody(bad); err == nil {
			t.Errorf("eventBody(%+v) accepted", bad)
		}
	}
}

func FuzzEventBody(f *testing.F) {
	f.Add(`{"record":{"uid":"ID1"}}`, "model.user.created")
	f.Add(`{}`, "a")
	f.Add(`[1]`, "b")
	f.Fuzz(func(t *testing.T, payload, name string) {
		body, err := eventBody(barong.Event{Name: name, Payload: json.RawMessage(payload)})
		if err != nil {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatalf("body %s is not a JSON object: %v", body, err)
		}
		if obj["name"] != name && utf8.ValidString(name) {
			// A payload with its own "name" member is shadowed by ours
			// (last member wins in most decoders).
			t.Fatalf("name %q, want %q in %s", obj["name"], name, body)
		}
	})
}

func TestInTx(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		clock.Advance(700 * time.Millisecond)
		eventName := unique("test.event.")
		outboxRows := func() int64 {
			return rawInt(t, db, "SELECT COUNT(*) FROM outbox WHERE name = ?", eventName)
		}
		var uid string

		// Commit: the row and the event are there, the relay is woken.
		err := db.InTx(ctx, func(tx barong.Tx) error {
			if tx.Now() != clock.Now().Truncate(time.Second) || tx.Now().Nanosecond() != 0 {
				t.Errorf("tx.Now() = %v", tx.Now())
			}
			u := mustUser(t, tx)
			uid = u.UID
			if !u.CreatedAt.Equal(tx.Now()) {
				t.Errorf("created_at %v, want tx.Now() %v", u.CreatedAt, tx.Now())
			}
			// Reads inside the transaction see its writes.
			if _, err := tx.UserByUID(ctx, uid); err != nil {
				t.Errorf("read own write: %v", err)
			}
			return tx.Emit(ctx, barong.Event{Name: eventName, Payload: map[string]string{"uid": uid}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserByUID(ctx, uid); err != nil {
			t.Fatalf("committed user: %v", err)
		}
		if n := outboxRows(); n != 1 {
			t.Fatalf("%d outbox rows after commit", n)
		}
		body := rawString(t, db, "SELECT body FROM outbox WHERE name = ?", eventName)
		if want := `{"uid":"` + uid + `","name":"` + eventName + `"}`; body != want {
			t.Fatalf("outbox body %s, want %s", body, want)
		}

		// Rollback on error: no row, no event, fn's error unchanged.
		boom := barong.Invalid("email.taken")
		err = db.InTx(ctx, func(tx barong.Tx) error {
			uid = mustUser(t, tx).UID
			if err := tx.Emit(ctx, barong.Event{Name: eventName, Payload: struct{}{}}); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("InTx returned %v, want fn's error itself", err)
		}
		_, err = db.UserByUID(ctx, uid)
		wantNotFound(t, err)
		if n := outboxRows(); n != 1 {
			t.Fatalf("%d outbox rows after rollback", n)
		}

		// Rollback on panic, and the panic goes on.
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("panic swallowed")
				}
			}()
			_ = db.InTx(ctx, func(tx barong.Tx) error {
				uid = mustUser(t, tx).UID
				_ = tx.Emit(ctx, barong.Event{Name: eventName, Payload: struct{}{}})
				panic("boom")
			})
		}()
		_, err = db.UserByUID(ctx, uid)
		wantNotFound(t, err)
		if n := outboxRows(); n != 1 {
			t.Fatalf("%d outbox rows after panic", n)
		}

		// A duplicate inside a transaction is a DuplicateError too.
		err = db.InTx(ctx, func(tx barong.Tx) error {
			u := mustUser(t, tx)
			return tx.CreateUser(ctx, &barong.User{UID: u.UID + "X", Email: u.Email, PasswordDigest: "x"})
		})
		wantDuplicate(t, err, "email")
	})
}

// TestOutboxSignal runs alone: it drains the shared signal channel.
func TestOutboxSignal(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		signalled := func() bool {
			select {
			case <-db.OutboxSignal():
				return true
			default:
				return false
			}
		}
		if err := db.InTx(ctx, func(tx barong.Tx) error { mustUser(t, tx); return nil }); err != nil {
			t.Fatal(err)
		}
		if signalled() {
			t.Fatal("signal without an event")
		}
		for range 2 {
			if err := db.InTx(ctx, func(tx barong.Tx) error {
				return tx.Emit(ctx, barong.Event{Name: "test.signal", Payload: struct{}{}})
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !signalled() || signalled() {
			t.Fatal("want exactly one pending signal after two commits")
		}
		_ = db.InTx(ctx, func(tx barong.Tx) error {
			_ = tx.Emit(ctx, barong.Event{Name: "test.signal", Payload: struct{}{}})
			return errors.New("rolled back")
		})
		if signalled() {
			t.Fatal("signal after rollback")
		}
	})
}
