package mail

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, host, port, user, pass string }{
		{"smtp://localhost:1025", "localhost", "1025", "", ""},
		{"smtp://mail.example.com", "mail.example.com", "25", "", ""},
		{"SMTP://u:p@mail.example.com:587/", "mail.example.com", "587", "u", "p"},
		{"smtp://apikey:p%40ss%3Aw%2Fd@smtp.example.com:587", "smtp.example.com", "587", "apikey", "p@ss:w/d"},
		{"smtp://user%40example.com@[::1]:2525", "::1", "2525", "user@example.com", ""},
	}
	for _, tc := range ok {
		host, port, user, pass, err := ParseSMTPURL(tc.in)
		if err != nil || host != tc.host || port != tc.port || user != tc.user || pass != tc.pass {
			t.Errorf("ParseSMTPURL(%q) = %q %q %q %q %v", tc.in, host, port, user, pass, err)
		}
	}
	for _, in := range []string{
		"", "localhost:25", "http://localhost:25", "smtps://localhost:465", "smtp://", "smtp://:25",
		"smtp://host:0", "smtp://host:70000", "smtp://host:port", "smtp://host:", "smtp://host/x",
		"smtp://host?x=1", "smtp://host#f", "smtp:opaque", "smtp://ho st:25", "smtp://::1", "smtp://[host]:25",
	} {
		if _, _, _, _, err := ParseSMTPURL(in); err == nil {
			t.Errorf("ParseSMTPURL(%q) succeeded, want an error", in)
		}
	}
}

func TestParseSMTPURLDoesNotLeakPassword(t *testing.T) {
	t.Parallel()
	_, _, _, _, err := ParseSMTPURL("smtp://u:hunter2@host:bad")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v must exist and not contain the password", err)
	}
}

func TestSMTPURLFromParts(t *testing.T) {
	t.Parallel()
	if got := SMTPURLFromParts("", "25", "u", "p"); got != "" {
		t.Errorf("empty host gives %q, want log mode", got)
	}
	for _, tc := range []struct{ host, port, user, pass, want string }{
		{"localhost", "1025", "", "", "smtp://localhost:1025"},
		{"smtp.example.com", "", "", "", "smtp://smtp.example.com"},
		{"smtp.example.com", "587", "u@x.io", "p@ss:/w d", "smtp://u%40x.io:p%40ss%3A%2Fw%20d@smtp.example.com:587"},
		{"::1", "25", "u", "", "smtp://u@[::1]:25"},
		{"::1", "", "", "", "smtp://[::1]"},
	} {
		got := SMTPURLFromParts(tc.host, tc.port, tc.user, tc.pass)
		if got != tc.want {
			t.Errorf("SMTPURLFromParts(%q,%q,%q,%q) = %q, want %q", tc.host, tc.port, tc.user, tc.pass, got, tc.want)
		}
		host, port, user, pass, err := ParseSMTPURL(got)
		wantPort := tc.port
		if wantPort == "" {
			wantPort = defaultSMTPPort
		}
		if err != nil || host != tc.host || port != wantPort || user != tc.user || pass != tc.pass {
			t.Errorf("round trip of %q = %q %q %q %q %v", got, host, port, user, pass, err)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, cfg := range map[string]Config{
		"smtp url":       {SMTPURL: "http://x"},
		"sender":         {SenderEmail: "not an address"},
		"sender display": {SenderEmail: "Bob <bob@example.com>"},
		"sender name":    {SenderName: "a\r\nBcc: x@y"},
		"templates dir":  {TemplatesDir: filepath.Join(t.TempDir(), "missing")},
	} {
		if _, err := New(cfg, logger); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New with a nil logger succeeded")
	}
}

func TestTemplatesDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("system.user.email.confirmation.token.en.txt", `{{define "subject"}}Welcome to {{.SenderName}}{{end}}Go to {{.Link}}`)
	write("system.user.password.change.en.txt", `{{define "subject"}}Password changed{{end}}Your password of {{.Email}} was changed.`)
	write("system.user.password.change.en.html", `{{define "content"}}<p>Your password was changed.</p>{{end}}`)
	write("README.md", "ignored")

	m, logs := mustNew(t, Config{TemplatesDir: dir, SenderName: "Acme"})
	if !m.Handles("system.user.password.change") || !m.Handles("system.session.create") {
		t.Fatal("added or embedded events are not handled")
	}
	ctx := t.Context()
	ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", ""), "tok")
	if err := m.Handle(ctx, "system.user.email.confirmation.token", ev); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, `subject="Welcome to Acme"`) ||
		!strings.Contains(out, "confirmation_token=tok") {
		t.Errorf("override not used:\n%s", out)
	}
	logs.Reset()
	ev = json.RawMessage(`{"record":{"user":` + userJSON("a@example.com", "") + `,"domain":"d"},"name":"system.user.password.change"}`)
	if err := m.Handle(ctx, "system.user.password.change", ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `subject="Password changed"`) {
		t.Errorf("added event not mailed:\n%s", logs)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "system.x.en.txt"), []byte(`{{define "subject"}}x{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{TemplatesDir: bad}, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Error("a .txt without its .html was accepted")
	}
	if err := os.WriteFile(filepath.Join(bad, "system.x.en.html"), []byte(`<p>no content block</p>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{TemplatesDir: bad}, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Error("an .html without {{define \"content\"}} was accepted")
	}
}
