package amqp

import (
	"errors"
	"net"
	"net/url"
)

// URLFromParts builds the AMQP URL "amqp://user:pass@host:port/" from
// Barong's BARONG_EVENT_API_RABBITMQ_HOST/PORT/USERNAME/PASSWORD settings,
// percent-encoding the credentials and bracketing an IPv6 host. The trailing
// "/" selects the default virtual host "/". An empty port is left out (the
// client then uses 5672); empty user and password leave out the user info
// (the client then uses guest/guest).
func URLFromParts(host, port, user, pass string) string {
	u := url.URL{Scheme: "amqp", Host: host, Path: "/"}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		u.Host = "[" + host + "]"
	}
	if user != "" || pass != "" {
		u.User = url.UserPassword(user, pass)
	}
	return u.String()
}

// RedactURL returns rawURL with its password replaced by "xxxxx", for logs.
// A URL that does not parse is returned as "[invalid URL]", since it may
// still hold a password.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "[invalid URL]"
	}
	return u.Redacted()
}

// sanitizeURLError strips the URL from a *url.Error, whose message would
// otherwise repeat the whole URL, password included.
func sanitizeURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
