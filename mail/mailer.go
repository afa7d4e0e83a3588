package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// ErrUndeliverable marks an event that can never be mailed: its JSON is
// invalid, it names no valid recipient, or its template fails on it.
// Retrying such an event is useless; Handle wraps it so the caller can tell
// these apart from delivery failures (SMTP down), which are worth a retry.
var ErrUndeliverable = errors.New("mail: undeliverable event")

// Mailer renders events into e-mails and sends them via SMTP or the log.
// It is safe for concurrent use.
type Mailer struct {
	cfg     Config
	log     *slog.Logger
	catalog catalog
	now     func() time.Time

	// SMTP mode only (smtpHost == "" means log mode).
	smtpHost, smtpPort, smtpUser, smtpPass string
	dialTimeout                            time.Duration
	sendTimeout                            time.Duration
	tlsConfig                              *tls.Config // nil: verify against system roots
}

// New checks cfg, parses the templates (embedded and Config.TemplatesDir)
// and returns a Mailer. Without Config.SMTPURL it warns once that e-mails,
// one-time links included, go to the log.
func New(cfg Config, logger *slog.Logger) (*Mailer, error) {
	if logger == nil {
		return nil, errors.New("mail: nil logger")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cat, err := loadCatalog(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	m := &Mailer{
		cfg:         cfg,
		log:         logger,
		catalog:     cat,
		now:         time.Now,
		dialTimeout: 10 * time.Second,
		sendTimeout: 60 * time.Second,
	}
	if cfg.SMTPURL != "" {
		m.smtpHost, m.smtpPort, m.smtpUser, m.smtpPass, _ = ParseSMTPURL(cfg.SMTPURL)
	} else {
		logger.Warn("mail: no SMTP server configured; e-mails, one-time links included, are written to the log (development mode)")
	}
	return m, nil
}

// Handles reports whether the event name has templates, i.e. whether Handle
// would mail it.
func (m *Mailer) Handles(name string) bool { return len(m.catalog[name]) > 0 }

// Handle mails the event named name (full name, e.g.
// "system.user.email.confirmation.token") to the user it concerns. event is
// the event object as published (the "event" claim). Events without
// templates are ignored and return nil. An error wrapping ErrUndeliverable
// means the event can never be mailed; any other error (SMTP unreachable,
// ctx done, language lookup failed) is worth retrying.
func (m *Mailer) Handle(ctx context.Context, name string, event json.RawMessage) error {
	langs := m.catalog[name]
	if len(langs) == 0 {
		return nil
	}
	ev, err := decodeObject(event)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUndeliverable, name, err)
	}
	d := m.templateData(name, ev)
	if d.Email == "" {
		return fmt.Errorf("%w: %s: no valid recipient e-mail", ErrUndeliverable, name)
	}

	lang, err := m.language(ctx, d)
	if err != nil {
		return err
	}
	set, lang := m.pick(langs, lang)
	if set == nil {
		return nil
	}
	d.Lang = lang
	d.Link = m.link(name, d.Domain, d.Token, lang)

	subject, text, html, err := set.render(d)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUndeliverable, name, err)
	}

	if m.smtpHost == "" {
		m.log.InfoContext(ctx, "mail: e-mail (log mode, not sent)",
			slog.String("event", name), slog.String("to", d.Email),
			slog.String("lang", lang), slog.String("subject", subject),
			slog.String("body", text))
		return nil
	}
	msg, err := m.buildMessage(d.Email, subject, text, html)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUndeliverable, name, err)
	}
	if err := m.send(ctx, d.Email, msg); err != nil {
		return fmt.Errorf("mail: send %s: %w", name, err)
	}
	m.log.InfoContext(ctx, "mail: e-mail sent", slog.String("event", name),
		slog.String("uid", d.UID), slog.String("lang", lang))
	return nil
}

// templateData extracts recipient, domain and token from the event's
// record, where Barong 2.7 puts them (reference §9.2-§9.4): record.user,
// record.domain, record.token; the record of a model.user event is the user
// itself.
func (m *Mailer) templateData(name string, ev map[string]any) *TemplateData {
	rec, _ := ev["record"].(map[string]any)
	changes, _ := ev["changes"].(map[string]any)
	user, _ := rec["user"].(map[string]any)
	if user == nil && strings.HasPrefix(name, "model.user.") {
		user = rec
	}
	domain, _ := rec["domain"].(string)
	token, _ := rec["token"].(string)
	if domain == "" {
		domain = m.cfg.Domain
	}
	return &TemplateData{
		Name:       name,
		Email:      recipient(user),
		UID:        str(user["uid"]),
		Domain:     baseURL(domain),
		Token:      token,
		Logo:       m.cfg.LogoLink,
		SenderName: m.cfg.SenderName,
		Time:       m.now().UTC().Format("2006-01-02 15:04:05 UTC"),
		Event:      ev,
		Record:     rec,
		Changes:    changes,
		User:       user,
	}
}

// language returns the user's language: data.language, else the
// UserLanguage hook, else the default.
func (m *Mailer) language(ctx context.Context, d *TemplateData) (string, error) {
	if l := dataLanguage(d.User["data"]); l != "" {
		return l, nil
	}
	if m.cfg.UserLanguage != nil && d.UID != "" {
		l, err := m.cfg.UserLanguage(ctx, d.UID)
		if err != nil {
			return "", fmt.Errorf("mail: language of user %s: %w", d.UID, err)
		}
		if l = normLang(l); l != "" {
			return l, nil
		}
	}
	return m.cfg.DefaultLanguage, nil
}

// pick chooses the template of lang, its primary subtag ("pt" for "pt-br"),
// the default language, then English.
func (m *Mailer) pick(langs map[string]*tmplSet, lang string) (*tmplSet, string) {
	primary, _, _ := strings.Cut(lang, "-")
	for _, l := range []string{lang, primary, m.cfg.DefaultLanguage, "en"} {
		if s := langs[l]; s != nil {
			return s, l
		}
	}
	return nil, ""
}

// link builds the one-time link of the confirmation and reset events
// (reference §9.6). Barong always writes lang=en; the chosen language is
// used here so the front end opens in the language of the e-mail.
func (m *Mailer) link(name, domain, token, lang string) string {
	if token == "" {
		return ""
	}
	// Barong's parameter order: token first, then lang.
	q := "=" + url.QueryEscape(token) + "&lang=" + url.QueryEscape(lang)
	switch name {
	case "system.user.email.confirmation.token":
		return domain + "/accounts/confirmation?confirmation_token" + q
	case "system.user.password.reset.token":
		return domain + "/accounts/password_reset?reset_token" + q
	}
	return ""
}

func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if ev == nil {
		return nil, errors.New("decode event: not a JSON object")
	}
	return ev, nil
}

// recipient returns the user's e-mail if it is a plain, valid address.
func recipient(user map[string]any) string {
	s, _ := user["email"].(string)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return ""
	}
	return s
}

// dataLanguage reads "language" from the user's data, which Barong stores
// as a JSON string; an already decoded object is accepted too.
func dataLanguage(data any) string {
	var obj map[string]any
	switch v := data.(type) {
	case map[string]any:
		obj = v
	case string:
		if decoded, err := decodeObject([]byte(v)); err == nil {
			obj = decoded
		}
	}
	l, _ := obj["language"].(string)
	return normLang(l)
}

// normLang lower-cases a language tag and writes "pt_BR" as "pt-br"; it
// returns "" for anything that is not a plausible tag.
func normLang(s string) string {
	s = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	if s == "" || len(s) > 16 {
		return ""
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return ""
		}
	}
	return s
}

// baseURL gives a domain a scheme (https when it has none) and drops the
// trailing slash, so links are absolute.
func baseURL(domain string) string {
	domain = strings.TrimRight(strings.TrimSpace(domain), "/")
	if domain != "" && !strings.Contains(domain, "://") {
		domain = "https://" + domain
	}
	return domain
}
