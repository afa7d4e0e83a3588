// Package sessiontest checks a barong.SessionStore's per-user listing and
// revocation (UserSessions, DeleteUserSession, DeleteUserSessions), the
// same for the SQL and the Redis store.
package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

func random(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Listing runs the checks on st; created is the creation time the store
// gives a session created now (its clock, to the second).
func Listing(t *testing.T, st barong.SessionStore, now func() time.Time) {
	ctx := context.Background()
	uid, other := "ID"+random(t, 5), "ID"+random(t, 5)
	create := func(uid, ua string, age time.Duration) *barong.Session {
		t.Helper()
		s := &barong.Session{ID: random(t, 16), UID: uid, UserIP: "10.1.2.3", UserAgent: ua, CSRFToken: random(t, 5),
			ExpireTime: now().Add(30 * time.Minute).Unix(), CreatedAt: now().Add(-age).UTC().Truncate(time.Second)}
		if err := st.CreateSession(ctx, s, time.Hour); err != nil {
			t.Fatal(err)
		}
		return s
	}
	list := func(uid string) []barong.Session {
		t.Helper()
		ss, err := st.UserSessions(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	oldest := create(uid, "ua-old", 2*time.Hour)
	middle := create(uid, "ua-mid", time.Hour)
	newest := create(uid, "ua-new", 0)
	foreign := create(other, "ua-other", 0)

	got := list(uid)
	if len(got) != 3 {
		t.Fatalf("UserSessions = %d sessions, want 3: %+v", len(got), got)
	}
	for i, want := range []*barong.Session{newest, middle, oldest} {
		g := got[i]
		if g.ID != "" || g.CSRFToken != "" || g.IDHash != barong.SessionHash(want.ID) || g.UID != uid || g.UserAgent != want.UserAgent ||
			g.UserIP != want.UserIP || g.ExpireTime != want.ExpireTime || !g.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("session %d = %+v, want %+v (hash %s)", i, g, want, barong.SessionHash(want.ID))
		}
	}
	if n := len(list("ID" + random(t, 5))); n != 0 {
		t.Fatalf("unknown user lists %d sessions", n)
	}

	// Another user's session is not deleted through this uid.
	if ok, err := st.DeleteUserSession(ctx, uid, barong.SessionHash(foreign.ID)); err != nil || ok {
		t.Fatalf("DeleteUserSession(foreign) = %v, %v", ok, err)
	}
	if _, err := st.Session(ctx, foreign.ID); err != nil {
		t.Fatalf("foreign session: %v", err)
	}
	if ok, err := st.DeleteUserSession(ctx, uid, "0000"); err != nil || ok {
		t.Fatalf("DeleteUserSession(unknown) = %v, %v", ok, err)
	}
	if ok, err := st.DeleteUserSession(ctx, uid, barong.SessionHash(middle.ID)); err != nil || !ok {
		t.Fatalf("DeleteUserSession = %v, %v", ok, err)
	}
	if _, err := st.Session(ctx, middle.ID); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("revoked session: %v", err)
	}
	if ok, err := st.DeleteUserSession(ctx, uid, barong.SessionHash(middle.ID)); err != nil || ok {
		t.Fatalf("second DeleteUserSession = %v, %v", ok, err)
	}
	if got := list(uid); len(got) != 2 || got[0].IDHash != barong.SessionHash(newest.ID) {
		t.Fatalf("after revocation: %+v", got)
	}

	// All but one.
	if err := st.DeleteUserSessions(ctx, uid, newest.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(uid); len(got) != 1 || got[0].IDHash != barong.SessionHash(newest.ID) {
		t.Fatalf("after revoking the others: %+v", got)
	}
	if _, err := st.Session(ctx, oldest.ID); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("other session: %v", err)
	}
	if got := list(other); len(got) != 1 {
		t.Fatalf("the other user's sessions: %+v", got)
	}
	if err := st.DeleteUserSessions(ctx, uid, ""); err != nil {
		t.Fatal(err)
	}
	if got := list(uid); len(got) != 0 {
		t.Fatalf("after revoking all: %+v", got)
	}
}
