package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a logger used from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// mustNew returns a Mailer logging into a buffer, with a fixed clock.
func mustNew(t *testing.T, cfg Config) (*Mailer, *syncBuffer) {
	t.Helper()
	var buf syncBuffer
	m, err := New(cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m.now = func() time.Time { return fixedNow }
	return m, &buf
}

// userJSON is a Barong event user object; data is the raw JSON value of
// the "data" field ("" to leave it out).
func userJSON(email, data string) string {
	u := `{"uid":"ID30DD0DD986","username":null,"email":` + jsonString(email) +
		`,"role":"member","level":1,"otp":false,"state":"active","referral_uid":null`
	if data != "" {
		u += `,"data":` + data
	}
	return u + `,"created_at":"2019-01-28T08:35:29Z","updated_at":"2019-01-28T08:35:29Z"}`
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tokenEvent is an e-mail token event in Barong 2.7's shape
// {"record":{...},"name":...}.
func tokenEvent(name, user, token string) json.RawMessage {
	return json.RawMessage(`{"record":{"user":` + user + `,"domain":"https://exchange.example","token":` +
		jsonString(token) + `},"name":"` + name + `"}`)
}

const testToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjb25maXJtYXRpb24ifQ.c2lnbmF0dXJl"

func TestHandle_SMTPConfirmation(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, "mailer", "s3cr:et@", nil)
	m, logs := mustNew(t, Config{SMTPURL: srv.url(), SenderEmail: "noreply@exchange.example", SenderName: "Exchange"})

	ev := tokenEvent("system.user.email.confirmation.token", userJSON("alice@example.com", ""), testToken)
	if err := m.Handle(context.Background(), "system.user.email.confirmation.token", ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := srv.next(t)
	if got.AuthUser != "mailer" || got.AuthPass != "s3cr:et@" {
		t.Errorf("AUTH PLAIN user/pass = %q/%q", got.AuthUser, got.AuthPass)
	}
	if got.From != "noreply@exchange.example" || len(got.To) != 1 || got.To[0] != "alice@example.com" {
		t.Errorf("envelope = %q → %q", got.From, got.To)
	}
	p := parseMessage(t, got.Data)
	if from := p.Header.Get("From"); from != `"Exchange" <noreply@exchange.example>` {
		t.Errorf("From = %q", from)
	}
	if to := p.Header.Get("To"); to != "<alice@example.com>" {
		t.Errorf("To = %q", to)
	}
	if p.Subject != "Registration Confirmation" {
		t.Errorf("Subject = %q", p.Subject)
	}
	if d, err := p.Header.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if id := p.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@exchange.example>") {
		t.Errorf("Message-ID = %q", id)
	}
	if v := p.Header.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q", v)
	}
	link := "https://exchange.example/accounts/confirmation?confirmation_token=" + testToken + "&lang=en"
	if !strings.Contains(p.Text, link) {
		t.Errorf("text part lacks %s:\n%s", link, p.Text)
	}
	if !strings.Contains(p.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("HTML part lacks the link:\n%s", p.HTML)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("SMTP mode logged the token:\n%s", logs)
	}
}

func TestHandle_STARTTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := selfSigned(t)
	srv := startSMTP(t, "mailer", "pw", serverTLS)
	m, _ := mustNew(t, Config{SMTPURL: srv.url()})
	m.tlsConfig = clientTLS

	ev := tokenEvent("system.user.password.reset.token", userJSON("bob@example.com", ""), "reset-jwt")
	if err := m.Handle(context.Background(), "system.user.password.reset.token", ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := srv.next(t)
	if !got.TLS {
		t.Error("message was not sent after STARTTLS")
	}
	p := parseMessage(t, got.Data)
	if p.Subject != "Password Reset" {
		t.Errorf("Subject = %q", p.Subject)
	}
	if want := "https://exchange.example/accounts/password_reset?reset_token=reset-jwt&lang=en"; !strings.Contains(p.Text, want) {
		t.Errorf("text part lacks %s:\n%s", want, p.Text)
	}
}

func TestHandle_STARTTLSUntrustedCertificate(t *testing.T) {
	t.Parallel()
	serverTLS, _ := selfSigned(t)
	srv := startSMTP(t, "", "", serverTLS)
	m, _ := mustNew(t, Config{SMTPURL: srv.url()})

	ev := tokenEvent("system.user.password.reset.token", userJSON("bob@example.com", ""), "reset-jwt")
	err := m.Handle(context.Background(), "system.user.password.reset.token", ev)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Handle = %v, want a STARTTLS certificate error", err)
	}
}

func TestHandle_RussianSMTP(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, "", "", nil)
	m, _ := mustNew(t, Config{SMTPURL: srv.url()})

	ev := tokenEvent("system.user.password.reset.token", userJSON("ivan@example.ru", `"{\"language\":\"ru\"}"`), "tok")
	if err := m.Handle(context.Background(), "system.user.password.reset.token", ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := srv.next(t)
	if got.AuthUser != "" {
		t.Errorf("authenticated as %q without a configured user", got.AuthUser)
	}
	p := parseMessage(t, got.Data)
	if raw := p.Header.Get("Subject"); !strings.HasPrefix(strings.ToLower(raw), "=?utf-8?b?") {
		t.Errorf("raw Subject %q is not an encoded word", raw)
	}
	if p.Subject != "Сброс Пароля" {
		t.Errorf("Subject = %q", p.Subject)
	}
	if !strings.Contains(p.Text, "Здравствуйте") || !strings.Contains(p.Text, "reset_token=tok&lang=ru") {
		t.Errorf("text part is not the Russian template:\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, `<html lang="ru">`) {
		t.Errorf("HTML part is not Russian:\n%s", p.HTML)
	}
}

func TestHandle_SessionCreateAndLabel(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, "", "", nil)
	m, _ := mustNew(t, Config{SMTPURL: srv.url(), LogoLink: "https://cdn.example/logo.png"})
	ctx := context.Background()

	session := `{"record":{"user":` + userJSON("carol@example.com", "") +
		`,"user_ip":"203.0.113.7","user_agent":"Mozilla/5.0 <script>alert(1)</script>"},"name":"system.session.create"}`
	if err := m.Handle(ctx, "system.session.create", json.RawMessage(session)); err != nil {
		t.Fatalf("Handle session: %v", err)
	}
	p := parseMessage(t, srv.next(t).Data)
	if p.Subject != "New Login" {
		t.Errorf("Subject = %q", p.Subject)
	}
	for _, want := range []string{"203.0.113.7", "Mozilla/5.0 <script>alert(1)</script>", "2026-03-04 05:06:07 UTC"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.Text)
		}
	}
	if strings.Contains(p.HTML, "<script>") || !strings.Contains(p.HTML, "&lt;script&gt;") {
		t.Errorf("HTML part does not escape the user agent:\n%s", p.HTML)
	}
	if !strings.Contains(p.HTML, `src="https://cdn.example/logo.png"`) {
		t.Errorf("HTML part lacks the logo")
	}

	for _, tc := range []struct{ name, value, subject, text string }{
		{"model.label.created", "verified", "Your identity document was verified", "Congratulations"},
		{"model.label.updated", "rejected", "Your identity document was rejected", "Unfortunately"},
	} {
		label := `{"record":{"id":7,"key":"document","value":"` + tc.value + `","user":` +
			userJSON("carol@example.com", "") + `},"name":"` + tc.name + `"}`
		if err := m.Handle(ctx, tc.name, json.RawMessage(label)); err != nil {
			t.Fatalf("Handle %s: %v", tc.name, err)
		}
		p := parseMessage(t, srv.next(t).Data)
		if p.Subject != tc.subject {
			t.Errorf("%s: Subject = %q, want %q", tc.name, p.Subject, tc.subject)
		}
		if !strings.Contains(p.Text, tc.text) || !strings.Contains(p.Text, "level is 1") {
			t.Errorf("%s: text part:\n%s", tc.name, p.Text)
		}
	}
}

func TestHandle_SMTPDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	m, _ := mustNew(t, Config{SMTPURL: SMTPURLFromParts(host, port, "", "")})

	ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", ""), "t")
	err = m.Handle(context.Background(), "system.user.email.confirmation.token", ev)
	if err == nil {
		t.Fatal("Handle succeeded with the SMTP server down")
	}
	if errors.Is(err, ErrUndeliverable) {
		t.Errorf("a connection failure must be retryable, got %v", err)
	}
}

func TestHandle_ContextCancelsHungServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // accepts, then never greets
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	m, _ := mustNew(t, Config{SMTPURL: SMTPURLFromParts(host, port, "", "")})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", ""), "t")
	err = m.Handle(ctx, "system.user.email.confirmation.token", ev)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Handle = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Handle took %v after the context expired", d)
	}
}

func TestHandle_MessageHeaders(t *testing.T) {
	t.Parallel()
	m, _ := mustNew(t, Config{SMTPURL: "smtp://127.0.0.1:1", SenderName: "Биржа"})
	msg, err := m.buildMessage("x@example.com", "Подтверждение", "text\n.\nend\n", "<p>x</p>")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("message has bare LF line ends")
	}
	hm, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	from, err := hm.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Биржа" || from[0].Address != DefaultSenderEmail {
		t.Errorf("From = %v (%v)", from, err)
	}
}
