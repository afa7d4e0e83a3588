package sqlstore

import (
	"context"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

// TestOutboxTokenEventsEncrypted: the events that carry a one-time token
// (system.user.email.confirmation.token, system.user.password.reset.token:
// a signed JWT that confirms an account or sets its password) or the
// personal data the tables keep encrypted (profiles, documents) wait in
// the outbox until RabbitMQ takes them, for as long as it is down; like
// the other secrets they are kept encrypted there, and delivered as
// emitted.
func TestOutboxTokenEventsEncrypted(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, DialectSQLite, Options{})
	ctx := context.Background()
	const tok = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXJlc2V0.sig"
	for _, name := range []string{"system.user.password.reset.token", "system.user.email.confirmation.token",
		"model.profile.created", "model.document.created"} {
		if err := db.InTx(ctx, func(tx barong.Tx) error {
			return tx.Emit(ctx, barong.Event{Name: name, Payload: map[string]any{"token": tok, "domain": "example.com"}})
		}); err != nil {
			t.Fatal(err)
		}
		if body := rawString(t, db, "SELECT body FROM outbox WHERE name = ?", name); strings.Contains(body, tok) ||
			strings.Contains(body, "example.com") {
			t.Fatalf("%s kept in clear in the outbox: %s", name, body)
		}
	}
	if err := db.InTx(ctx, func(tx barong.Tx) error {
		return tx.Emit(ctx, barong.Event{Name: "model.user.created", Payload: map[string]any{"uid": "ID1"}})
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := db.DeliverOutbox(ctx, 10, func(_ context.Context, ev barong.OutboxEvent) error {
		got = append(got, ev.Name+" "+string(ev.Body))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`system.user.password.reset.token {"domain":"example.com","token":"` + tok + `","name":"system.user.password.reset.token"}`,
		`system.user.email.confirmation.token {"domain":"example.com","token":"` + tok + `","name":"system.user.email.confirmation.token"}`,
		`model.profile.created {"domain":"example.com","token":"` + tok + `","name":"model.profile.created"}`,
		`model.document.created {"domain":"example.com","token":"` + tok + `","name":"model.document.created"}`,
		`model.user.created {"uid":"ID1","name":"model.user.created"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("delivered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
