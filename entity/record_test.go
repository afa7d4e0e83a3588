package entity

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// The changes of an update list the previous values that changed, never
// updated_at, never a value that was null (reference §9.3).
func TestUserChangesFrom(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := NewUserRecord(&barong.User{UID: "ID1", Email: "a@x.io", Role: "member", Level: 1, State: "pending",
		Username: "ann", CreatedAt: t0, UpdatedAt: t0}, "")
	cur := NewUserRecord(&barong.User{UID: "ID1", Email: "a@x.io", Role: "member", Level: 2, OTP: true, State: "active",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}, "ID2")
	c := UserChangesFrom(&prev, &cur)
	b, _ := json.Marshal(c)
	if want := `{"username":"ann","level":1,"otp":false,"state":"pending"}`; string(b) != want {
		t.Fatalf("changes %s, want %s", b, want)
	}
	if same := UserChangesFrom(&cur, &cur); !same.Empty() {
		t.Fatalf("no change: %+v", same)
	}
	b, _ = json.Marshal(Payload{Record: prev.Compact(), Changes: UserChanges{}})
	if want := `{"record":{"uid":"ID1","username":"ann","email":"a@x.io","role":"member","level":1,"otp":false,"state":"pending","created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:05Z"},"changes":{}}`; string(b) != want {
		t.Fatalf("payload %s", b)
	}
}

// Payloads keep <, > and & escaped whatever the encoder that writes them.
func TestPayloadEscapesHTML(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as the outbox
	if err := enc.Encode(Payload{Record: UserEvent{User: UserRecord{Email: "<a&b>"}}}); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	if want := `{"record":{"user":{"uid":"","username":null,"email":"\u003ca\u0026b\u003e","role":"","level":0,"otp":false,"state":"","referral_uid":null,"created_at":"","updated_at":""}}}`; string(b) != want {
		t.Fatalf("payload %s", b)
	}
}
