package amqp

import (
	"strconv"
	"strings"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

func TestURLFromParts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		host, port, user, pass string
		want                   string
	}{
		{"localhost", "5672", "guest", "guest", "amqp://guest:guest@localhost:5672/"},
		{"rabbit.internal", "5673", "barong", "p@ss:w/rd%?#&=+ é", "amqp://barong:p%40ss%3Aw%2Frd%25%3F%23&=+%20%C3%A9@rabbit.internal:5673/"},
		{"::1", "5672", "u", "p", "amqp://u:p@[::1]:5672/"},
		{"::1", "", "u", "p", "amqp://u:p@[::1]/"},
		{"10.0.0.1", "", "", "", "amqp://10.0.0.1/"},
		{"h", "1", "u@x", "", "amqp://u%40x:@h:1/"},
	}
	for _, c := range cases {
		got := URLFromParts(c.host, c.port, c.user, c.pass)
		if got != c.want {
			t.Errorf("URLFromParts(%q, %q, %q, %q) = %q; want %q", c.host, c.port, c.user, c.pass, got, c.want)
		}
		// The AMQP client must read back exactly the parts we put in.
		uri, err := amqp091.ParseURI(got)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", got, err)
			continue
		}
		wantUser, wantPass := c.user, c.pass
		if wantUser == "" && wantPass == "" {
			wantUser, wantPass = "guest", "guest"
		}
		wantPort := 5672
		if c.port != "" {
			wantPort, _ = strconv.Atoi(c.port)
		}
		if uri.Host != c.host || uri.Port != wantPort || uri.Username != wantUser || uri.Password != wantPass || uri.Vhost != "/" {
			t.Errorf("ParseURI(%q) = host %q port %d user %q pass %q vhost %q; want %q %d %q %q \"/\"",
				got, uri.Host, uri.Port, uri.Username, uri.Password, uri.Vhost, c.host, wantPort, wantUser, wantPass)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"amqp://guest:hunter2@localhost:5672/":      "amqp://guest:xxxxx@localhost:5672/",
		"amqp://u:p%40ss@h:1/vh":                    "amqp://u:xxxxx@h:1/vh",
		"amqp://localhost/":                         "amqp://localhost/",
		"amqps://only-user@h/":                      "amqps://only-user@h/",
		"amqp://guest:hunter2@localhost:notaport/":  "[invalid URL]",
		"amqp://guest:hunter2@[::1:5672/":           "[invalid URL]",
		URLFromParts("h", "1", "u", "s3cret/%:@pw"): "amqp://u:xxxxx@h:1/",
	} {
		got := RedactURL(raw)
		if got != want {
			t.Errorf("RedactURL(%q) = %q; want %q", raw, got, want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) leaks the password: %q", raw, got)
		}
	}
}
