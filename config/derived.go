package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// portFallback maps Barong's PORT to HTTPAddr when BARONG_HTTP_ADDR is unset.
func portFallback(l *loader) (string, string, bool) {
	port := l.env("PORT")
	if port == "" {
		return "", "", false
	}
	if !validPort(port) {
		l.fail("PORT: %q is not a port number", port)
		return "", "", false
	}
	return "PORT", ":" + port, true
}

// databaseFallback builds DatabaseURL from Barong's DATABASE_* variables
// when DATABASE_HOST is set. Defaults are Barong's (mysql2, port 3306, user
// root, empty password, database barong_production), except that the
// postgresql adapter defaults to port 5432.
func databaseFallback(l *loader) (string, string, bool) {
	host := l.env("DATABASE_HOST")
	if host == "" {
		return "", "", false
	}
	adapter := orDefault(l.env("DATABASE_ADAPTER"), "mysql2")
	var scheme, port, query string
	switch adapter {
	case "mysql2", "mysql":
		scheme, port = "mysql", "3306"
	case "postgresql", "postgres":
		scheme, port, query = "postgres", "5432", "sslmode=disable"
	default:
		l.fail("DATABASE_ADAPTER: %q is not one of mysql2, postgresql", adapter)
		return "", "", false
	}
	if p := l.env("DATABASE_PORT"); p != "" {
		if !validPort(p) {
			l.fail("DATABASE_PORT: %q is not a port number", p)
			return "", "", false
		}
		port = p
	}
	u := url.URL{
		Scheme:   scheme,
		User:     userinfo(orDefault(l.env("DATABASE_USER"), "root"), l.env("DATABASE_PASS")),
		Host:     net.JoinHostPort(host, port),
		Path:     "/" + orDefault(l.env("DATABASE_NAME"), "barong_production"),
		RawQuery: query,
	}
	return "DATABASE_HOST", u.String(), true
}

// rabbitMQFallback builds the AMQP URL from Barong's
// BARONG_EVENT_API_RABBITMQ_* variables when any of them is set.
func rabbitMQFallback(l *loader) (string, string, bool) {
	const prefix = "BARONG_EVENT_API_RABBITMQ_"
	host, port := l.env(prefix+"HOST"), l.env(prefix+"PORT")
	user, pass := l.env(prefix+"USERNAME"), l.env(prefix+"PASSWORD")
	if host == "" && port == "" && user == "" && pass == "" {
		return "", "", false
	}
	if port != "" && !validPort(port) {
		l.fail("%sPORT: %q is not a port number", prefix, port)
		return "", "", false
	}
	u := url.URL{
		Scheme: "amqp",
		User:   url.UserPassword(orDefault(user, "guest"), orDefault(pass, "guest")),
		Host:   net.JoinHostPort(orDefault(host, "localhost"), orDefault(port, "5672")),
		Path:   "/",
	}
	return prefix + "HOST", u.String(), true
}

// smtpFallback builds the SMTP URL from Barong's BARONG_SMTP_* variables,
// only when BARONG_SMTP_HOST is set (otherwise e-mails are logged).
func smtpFallback(l *loader) (string, string, bool) {
	host := l.env("BARONG_SMTP_HOST")
	if host == "" {
		return "", "", false
	}
	port := orDefault(l.env("BARONG_SMTP_PORT"), "1025")
	if !validPort(port) {
		l.fail("BARONG_SMTP_PORT: %q is not a port number", port)
		return "", "", false
	}
	u := url.URL{
		Scheme: "smtp",
		User:   userinfo(l.env("BARONG_SMTP_USER"), l.env("BARONG_SMTP_PASSWORD")),
		Host:   net.JoinHostPort(host, port),
	}
	return "BARONG_SMTP_HOST", u.String(), true
}

func userinfo(user, pass string) *url.Userinfo {
	switch {
	case pass != "":
		return url.UserPassword(user, pass)
	case user != "":
		return url.User(user)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && digits.MatchString(s) && n >= 0 && n <= 65535
}

func checkAddr(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil || !validPort(port) {
		return errors.New("is not a host:port address")
	}
	return nil
}

// parseURL parses v, keeping only the cause of a failure (url.Error
// repeats the whole URL, password included).
func parseURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var ee url.EscapeError
		if errors.As(err, &ee) {
			// The escape may be part of a password.
			return nil, errors.New("is not a valid URL: invalid %-escape")
		}
		return nil, fmt.Errorf("is not a valid URL: %w", err)
	}
	return u, nil
}

func checkDatabaseURL(v string) error {
	u, err := parseURL(v)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "sqlite":
		if u.Opaque == "" && u.Path == "" {
			return errors.New("has no database file (sqlite:PATH)")
		}
	case "postgres", "postgresql":
	case "mysql":
		if u.Host == "" || len(u.Path) < 2 {
			return errors.New("needs a host and a database name (mysql://user:pass@host:port/db)")
		}
	default:
		return fmt.Errorf("has scheme %q, not one of sqlite, postgres, postgresql, mysql", u.Scheme)
	}
	return nil
}

// checkScheme returns a check that wants one of schemes and a host.
func checkScheme(needHost bool, schemes ...string) func(string) error {
	return func(v string) error {
		u, err := parseURL(v)
		if err != nil {
			return err
		}
		for _, s := range schemes {
			if u.Scheme == s {
				if needHost && u.Host == "" {
					return errors.New("has no host")
				}
				return nil
			}
		}
		return fmt.Errorf("has scheme %q, not one of %s", u.Scheme, strings.Join(schemes, ", "))
	}
}

var (
	checkRedisURL = checkScheme(false, "redis", "rediss", "unix")
	checkAMQPURL  = checkScheme(true, "amqp", "amqps")
	checkSMTPURL  = checkScheme(true, "smtp", "smtps")
	checkHTTPURL  = checkScheme(true, "http", "https")
)

// checkOrigin accepts "*" or a browser origin http(s)://host[:port].
func checkOrigin(v string) error {
	if v == "*" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("is not an origin (* or http(s)://host[:port])")
	}
	return nil
}

// checkWebAuthnOrigin accepts an origin a browser reports in WebAuthn
// client data: http(s)://host[:port], no wildcard.
func checkWebAuthnOrigin(v string) error {
	if v == "*" {
		return errors.New("is not an origin (http(s)://host[:port]; no wildcard)")
	}
	return checkOrigin(v)
}

// redactURL returns v with any password replaced by "xxxxx": the user
// info's, and query parameters naming one (PostgreSQL takes password= and
// sslpassword= there).
func redactURL(v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	q, redacted := redactQuery(u.RawQuery)
	if _, has := u.User.Password(); !has && !redacted {
		return v, true
	}
	u.RawQuery = q
	return u.Redacted(), true
}

// redactQuery replaces by "xxxxx" the value of every parameter of the raw
// query whose name contains "password", keeping the order and the other
// parameters as written; redacted reports whether it replaced one.
func redactQuery(raw string) (q string, redacted bool) {
	if raw == "" {
		return raw, false
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if strings.Contains(strings.ToLower(k), "password") {
			parts[i] = strings.SplitN(p, "=", 2)[0] + "=xxxxx"
			redacted = true
		}
	}
	return strings.Join(parts, "&"), redacted
}
