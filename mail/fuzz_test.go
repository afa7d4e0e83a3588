package mail

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
)

var fuzzEvents = []string{
	"system.user.email.confirmation.token",
	"system.user.password.reset.token",
	"system.session.create",
	"model.label.created",
	"model.label.updated",
}

// FuzzHandle renders arbitrary event JSON through every template in log
// mode: no panic, and a failure is always ErrUndeliverable.
func FuzzHandle(f *testing.F) {
	user := userJSON("a@example.com", `"{\"language\":\"ru\"}"`)
	for _, s := range []string{
		string(tokenEvent("x", user, "tok")),
		string(tokenEvent("x", userJSON("a@example.com", `{"language":null}`), "tok")),
		`{"user":` + user + `,"user_ip":"1.2.3.4","user_agent":"<b>ua</b>"}`,
		`{"record":{"id":1,"key":"document","value":"verified","user":` + user + `}}`,
		`{"record":{"key":{"a":[1,2]},"value":null,"user":{"email":"a@example.com","level":1e400}}}`,
		`{"record":[],"user":{"email":"a@example.com","data":"{\"language\":7}"},"domain":"javascript:alert(1)"}`,
		`{}`, `null`, `"x"`, `{"record":`,
	} {
		for i := range fuzzEvents {
			f.Add(uint8(i), s)
		}
	}
	m, err := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, event string) {
		name := fuzzEvents[int(which)%len(fuzzEvents)]
		err := m.Handle(context.Background(), name, json.RawMessage(event))
		if err != nil && !errors.Is(err, ErrUndeliverable) {
			t.Fatalf("Handle(%s, %q) = %v", name, event, err)
		}
	})
}

// FuzzParseSMTPURL checks that parsing never panics and that whatever parses
// survives a round trip through SMTPURLFromParts.
func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{
		"smtp://localhost:1025", "smtp://u:p@host:25", "smtp://%41:%zz@h", "smtp://[::1]:25", "smtp://h:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, user, pass, err := ParseSMTPURL(s)
		if err != nil {
			return
		}
		u := SMTPURLFromParts(host, port, user, pass)
		h2, p2, u2, pw2, err := ParseSMTPURL(u)
		if err != nil || h2 != host || p2 != port || u2 != user || pw2 != pass {
			t.Fatalf("round trip %q → %q → %q %q %q %q %v", s, u, h2, p2, u2, pw2, err)
		}
	})
}
