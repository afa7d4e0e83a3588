package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func TestWebAuthnCredentials(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u, other := mustUser(t, db), mustUser(t, db)
		credID := (unique("c") + strings.Repeat("A", 1364))[:1364] // the longest id: 1023 bytes in base64url
		c := &barong.WebAuthnCredential{UserID: u.ID, CredentialID: credID, UserHandle: "aGFuZGxl", Name: "Laptop",
			Record: `{"publicKey":"pk"}`, SignCount: 5}
		if err := db.CreateWebAuthnCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 || !c.CreatedAt.Equal(clock.Now()) {
			t.Fatalf("created %+v", c)
		}
		// The record is stored encrypted.
		if raw := rawString(t, db, "SELECT record_encrypted FROM webauthn_credentials WHERE id = ?", c.ID); strings.Contains(raw, "publicKey") {
			t.Fatalf("record stored in the clear: %s", raw)
		}
		dup := *c
		dup.UserID = other.ID
		if err := db.CreateWebAuthnCredential(ctx, &dup); !errors.Is(err, barong.ErrDuplicate) {
			t.Fatalf("duplicate credential id: %v", err)
		}
		// The id is compared byte for byte (MariaDB's default collation would not).
		lower := *c
		lower.CredentialID, lower.SignCount = strings.ToLower(credID), 0
		if err := db.CreateWebAuthnCredential(ctx, &lower); err != nil {
			t.Fatalf("credential id differing in case: %v", err)
		}
		got, err := db.WebAuthnCredentialByCredentialID(ctx, credID)
		if err != nil || got.ID != c.ID || got.Record != c.Record || got.SignCount != 5 || got.LastUsedAt != nil || got.UserHandle != "aGFuZGxl" {
			t.Fatalf("by credential id = %+v, %v", got, err)
		}
		_, err = db.WebAuthnCredentialByCredentialID(ctx, "nope")
		wantNotFound(t, err)
		list, err := db.WebAuthnCredentialsByUser(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].ID != c.ID {
			t.Fatalf("by user = %+v, %v", list, err)
		}

		// Renaming and deleting need the owner.
		wantNotFound(t, db.RenameWebAuthnCredential(ctx, other.ID, c.ID, "Stolen"))
		for range 2 { // the same name twice in a second is no error (MySQL)
			if err := db.RenameWebAuthnCredential(ctx, u.ID, c.ID, "Phone"); err != nil {
				t.Fatal(err)
			}
		}
		wantNotFound(t, db.DeleteWebAuthnCredential(ctx, other.ID, c.ID))

		// The counter only moves forward.
		clock.Advance(time.Minute)
		for _, step := range []struct {
			count uint32
			ok    bool
		}{{6, true}, {6, false}, {3, false}, {0, false}, {9, true}} {
			ok, err := db.UseWebAuthnCredential(ctx, c.ID, step.count)
			if err != nil || ok != step.ok {
				t.Fatalf("use with counter %d = %v, %v; want %v", step.count, ok, err, step.ok)
			}
		}
		got, _ = db.WebAuthnCredentialByCredentialID(ctx, credID)
		if got.SignCount != 9 || got.LastUsedAt == nil || !got.LastUsedAt.Equal(clock.Now()) || got.Name != "Phone" {
			t.Fatalf("after use %+v", got)
		}
		// An authenticator without a counter (always 0) may sign again, also
		// within the same second.
		for range 2 {
			if ok, err := db.UseWebAuthnCredential(ctx, lower.ID, 0); err != nil || !ok {
				t.Fatalf("counter-less use = %v, %v", ok, err)
			}
		}
		if err := db.DeleteWebAuthnCredential(ctx, u.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeleteWebAuthnCredential(ctx, u.ID, c.ID))
		if ok, err := db.UseWebAuthnCredential(ctx, c.ID, 20); err != nil || ok {
			t.Fatalf("use of a deleted credential = %v, %v", ok, err)
		}
	})
}
