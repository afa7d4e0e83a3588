package mail

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestHandle_LogMode(t *testing.T) {
	t.Parallel()
	m, logs := mustNew(t, Config{Domain: "exchange.example/"})
	if !strings.Contains(logs.String(), "development mode") {
		t.Errorf("New in log mode did not warn:\n%s", logs)
	}
	logs.Reset()

	// No domain in the event: Config.Domain, given a scheme.
	ev := json.RawMessage(`{"record":{"user":` + userJSON("dora@example.com", "") + `,"token":"one-time"},"name":"x"}`)
	if err := m.Handle(context.Background(), "system.user.email.confirmation.token", ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	out := logs.String()
	for _, want := range []string{
		"level=INFO", "to=dora@example.com", `subject="Registration Confirmation"`,
		"https://exchange.example/accounts/confirmation?confirmation_token=one-time&lang=en",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestHandle_Language(t *testing.T) {
	t.Parallel()
	hook := func(_ context.Context, uid string) (string, error) {
		if uid != "ID30DD0DD986" {
			return "", errors.New("unexpected uid " + uid)
		}
		return "RU", nil
	}
	for _, tc := range []struct {
		name, data, defLang string
		hook                func(context.Context, string) (string, error)
		subject, lang       string
	}{
		{"data string", `"{\"language\":\"ru\"}"`, "", nil, "Подтверждение Регистрации", "ru"},
		{"data string upper case", `"{\"language\":\"RU\"}"`, "", nil, "Подтверждение Регистрации", "ru"},
		{"data object", `{"language":"Ru"}`, "", nil, "Подтверждение Регистрации", "ru"},
		{"region subtag", `"{\"language\":\"ru_RU\"}"`, "", nil, "Подтверждение Регистрации", "ru"},
		{"no template falls back to en", `"{\"language\":\"de\"}"`, "", nil, "Registration Confirmation", "en"},
		{"no language: default", "", "RU", nil, "Подтверждение Регистрации", "ru"},
		{"bad data JSON: default", `"{not json"`, "", nil, "Registration Confirmation", "en"},
		{"data null", `null`, "", nil, "Registration Confirmation", "en"},
		{"hook", "", "", hook, "Подтверждение Регистрации", "ru"},
		{"data wins over hook", `"{\"language\":\"en\"}"`, "ru", hook, "Registration Confirmation", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, logs := mustNew(t, Config{DefaultLanguage: tc.defLang, UserLanguage: tc.hook})
			ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", tc.data), "tok")
			if err := m.Handle(context.Background(), "system.user.email.confirmation.token", ev); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			out := logs.String()
			if !strings.Contains(out, `subject="`+tc.subject+`"`) || !strings.Contains(out, "lang="+tc.lang) ||
				!strings.Contains(out, "&lang="+tc.lang) {
				t.Errorf("want subject %q, lang %s:\n%s", tc.subject, tc.lang, out)
			}
		})
	}
}

func TestHandle_LanguageHookError(t *testing.T) {
	t.Parallel()
	boom := errors.New("database down")
	m, _ := mustNew(t, Config{UserLanguage: func(context.Context, string) (string, error) { return "", boom }})
	ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", ""), "tok")
	err := m.Handle(context.Background(), "system.user.email.confirmation.token", ev)
	if !errors.Is(err, boom) || errors.Is(err, ErrUndeliverable) {
		t.Fatalf("Handle = %v, want the retryable hook error", err)
	}
}

func TestHandle_IgnoredEvents(t *testing.T) {
	t.Parallel()
	m, logs := mustNew(t, Config{SMTPURL: "smtp://127.0.0.1:1"}) // nothing listens: a send would fail
	logs.Reset()
	user := userJSON("a@example.com", "")
	for name, ev := range map[string]string{
		"model.user.created":            `{"record":` + user + `,"name":"model.user.created"}`,
		"model.user.updated":            `{"record":` + user + `,"changes":{"level":0},"name":"model.user.updated"}`,
		"system.user.email.confirmed":   `{"record":{"user":` + user + `,"domain":"d"}}`,
		"system.user.password.change":   `{"record":{"user":` + user + `,"domain":"d"}}`,
		"system.user.password.reset":    `{"record":{"user":` + user + `,"domain":"d"}}`,
		"system.document.verified":      `{"id":1,"key":"document","value":"verified","user":` + user + `}`,
		"user.email.confirmation.token": `{"record":{"user":` + user + `,"token":"t"}}`,
		"system.unknown":                `not even JSON`,
		"":                              `{}`,
		"model.label.created.en":        `{}`,
		"model.label.created/../../etc": `{}`,
	} {
		if m.Handles(name) {
			t.Errorf("Handles(%q) = true", name)
		}
		if err := m.Handle(context.Background(), name, json.RawMessage(ev)); err != nil {
			t.Errorf("Handle(%q) = %v, want nil", name, err)
		}
	}
	if logs.String() != "" {
		t.Errorf("ignored events were logged:\n%s", logs)
	}
}

func TestHandle_Undeliverable(t *testing.T) {
	t.Parallel()
	m, logs := mustNew(t, Config{})
	logs.Reset()
	for name, ev := range map[string]string{
		"invalid JSON":     `{"record":`,
		"not an object":    `[1,2]`,
		"null":             `null`,
		"no user":          `{"record":{"token":"t"}}`,
		"no e-mail":        `{"record":{"user":{"uid":"ID1"},"token":"t"}}`,
		"e-mail not text":  `{"record":{"user":{"email":42},"token":"t"}}`,
		"invalid e-mail":   `{"record":{"user":{"email":"not-an-address"},"token":"t"}}`,
		"header injection": `{"record":{"user":{"email":"a@example.com\r\nBcc: evil@example.com"},"token":"t"}}`,
		"display name":     `{"record":{"user":{"email":"Eve <eve@example.com>"},"token":"t"}}`,
		// Barong 2.0-2.2's flat shape: Barong 2.7's mailer finds no
		// record.user in it, and neither does this one.
		"flat shape": `{"user":{"email":"a@example.com"},"token":"t","name":"system.user.email.confirmation.token"}`,
	} {
		err := m.Handle(context.Background(), "system.user.email.confirmation.token", json.RawMessage(ev))
		if !errors.Is(err, ErrUndeliverable) {
			t.Errorf("%s: Handle = %v, want ErrUndeliverable", name, err)
		}
	}
	if strings.Contains(logs.String(), "evil@example.com") {
		t.Errorf("undeliverable event was mailed:\n%s", logs)
	}
}

func TestHandle_ConcurrentUse(t *testing.T) {
	t.Parallel()
	m, err := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ev := tokenEvent("system.user.email.confirmation.token", userJSON("a@example.com", `"{\"language\":\"ru\"}"`), "tok")
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- m.Handle(context.Background(), "system.user.email.confirmation.token", ev) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
