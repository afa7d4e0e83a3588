package mail

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Barong's defaults for the mailer settings (reference §2.2).
const (
	DefaultSenderEmail = "noreply@barong.io"
	DefaultSenderName  = "Barong"
	DefaultLanguage    = "en"
	DefaultDomain      = "openware.com"
	defaultSMTPPort    = "25"
)

// Config configures a Mailer. Empty fields take Barong's defaults, except
// LogoLink (empty: no logo) and SMTPURL (empty: log mode).
type Config struct {
	// SMTPURL is smtp://user:pass@host:port; "" writes e-mails to the log
	// (development mode, see the package documentation).
	SMTPURL string
	// SenderEmail and SenderName form the From header:
	// "<SenderName>" <SenderEmail> (BARONG_SENDER_EMAIL, BARONG_SENDER_NAME).
	SenderEmail, SenderName string
	// LogoLink is the URL of the logo shown in HTML mails
	// (BARONG_SMTP_LOGO_LINK).
	LogoLink string
	// Domain is the base of links when an event carries no "domain"
	// (BARONG_DOMAIN). A domain without a scheme gets "https://".
	Domain string
	// DefaultLanguage is used when the user has no language
	// (BARONG_DEFAULT_LANGUAGE).
	DefaultLanguage string
	// TemplatesDir optionally holds template files that replace or extend
	// the embedded ones (see the package documentation).
	TemplatesDir string
	// UserLanguage optionally looks up a user's language by UID when the
	// event's user object carries no data.language (Barong's events do not
	// include "data"; its mailer daemon reads the user from the database).
	// It returns "" when the user has none. An error makes Handle fail, so
	// the event is retried.
	UserLanguage func(ctx context.Context, uid string) (string, error)
}

func (c Config) withDefaults() Config {
	if c.SenderEmail == "" {
		c.SenderEmail = DefaultSenderEmail
	}
	if c.SenderName == "" {
		c.SenderName = DefaultSenderName
	}
	if c.Domain == "" {
		c.Domain = DefaultDomain
	}
	c.DefaultLanguage = normLang(c.DefaultLanguage)
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = DefaultLanguage
	}
	return c
}

func (c Config) validate() error {
	a, err := mail.ParseAddress(c.SenderEmail)
	if err != nil || a.Name != "" || a.Address != c.SenderEmail {
		return fmt.Errorf("mail: sender e-mail %q is not a plain e-mail address", c.SenderEmail)
	}
	if strings.ContainsAny(c.SenderName, "\r\n") {
		return fmt.Errorf("mail: sender name contains a line break")
	}
	if c.SMTPURL != "" {
		if _, _, _, _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			return err
		}
	}
	return nil
}

// ParseSMTPURL splits smtp://user:pass@host:port into its parts. User and
// password are optional and percent-decoded; the port defaults to 25. Any
// other scheme, a missing host, a bad port, a path or a query is an error.
func ParseSMTPURL(s string) (host, port, user, pass string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: invalid URL")
	}
	if !strings.EqualFold(u.Scheme, "smtp") {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: scheme must be smtp, got %q", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: only smtp://user:pass@host:port is allowed")
	}
	host, port = u.Hostname(), u.Port()
	if host == "" {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: missing host")
	}
	if strings.HasPrefix(u.Host, "[") != strings.Contains(host, ":") ||
		(strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: invalid host; write an IPv6 address in brackets")
	}
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: empty port")
		}
		port = defaultSMTPPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", "", "", fmt.Errorf("mail: parse SMTP URL: invalid port %q", port)
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	return host, port, user, pass, nil
}

// SMTPURLFromParts builds the SMTP URL from Barong's BARONG_SMTP_HOST, _PORT,
// _USER and _PASSWORD. User and password are percent-encoded. An empty host
// gives "" (log mode); an empty port is left out (default 25).
func SMTPURLFromParts(host, port, user, pass string) string {
	if host == "" {
		return ""
	}
	u := url.URL{Scheme: "smtp", Host: host}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	switch {
	case pass != "":
		u.User = url.UserPassword(user, pass)
	case user != "":
		u.User = url.User(user)
	}
	return u.String()
}
