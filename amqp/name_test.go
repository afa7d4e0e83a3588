package amqp

import (
	"errors"
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	ok := map[string][2]string{
		"model.user.created":                   {"barong.events.model", "user.created"},
		"model.user.updated":                   {"barong.events.model", "user.updated"},
		"model.data_storage.created":           {"barong.events.model", "data_storage.created"},
		"system.user.email.confirmation.token": {"barong.events.system", "user.email.confirmation.token"},
		"system.session.create":                {"barong.events.system", "session.create"},
		"system.document.verified":             {"barong.events.system", "document.verified"},
		"a.b":                                  {"barong.events.a", "b"},
		"model..x":                             {"barong.events.model", ".x"},
		"model.x.":                             {"barong.events.model", "x."},
		"t-1_x:y.k":                            {"barong.events.t-1_x:y", "k"},
	}
	for name, want := range ok {
		ex, key, err := Route(name)
		if err != nil || ex != want[0] || key != want[1] {
			t.Errorf("Route(%q) = %q, %q, %v; want %q, %q, nil", name, ex, key, err, want[0], want[1])
		}
	}
	bad := []string{
		"",
		"model",
		"nodot",
		".user.created",
		"model.",
		"mo del.user",
		"mødel.user",
		"model/x.user",
		strings.Repeat("c", 256-len(ExchangePrefix)) + ".k",
		"model." + strings.Repeat("k", 256),
	}
	for _, name := range bad {
		ex, key, err := Route(name)
		if !errors.Is(err, ErrInvalidEventName) {
			t.Errorf("Route(%q) = %q, %q, %v; want ErrInvalidEventName", name, ex, key, err)
		}
	}
	// The longest names that fit are accepted.
	if _, _, err := Route(strings.Repeat("c", 255-len(ExchangePrefix)) + "." + strings.Repeat("k", 255)); err != nil {
		t.Errorf("Route of maximal name: %v", err)
	}
}

func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"model.user.created", "system.user.password.reset.token", "nodot", ".x", "x.", "a..b",
		"model.label.created", "sys:tem.x", "é.x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ex, key, err := Route(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidEventName) {
				t.Fatalf("Route(%q) error %v does not wrap ErrInvalidEventName", name, err)
			}
			if ex != "" || key != "" {
				t.Fatalf("Route(%q) returned %q, %q with an error", name, ex, key)
			}
			if strings.IndexByte(name, '.') < 0 {
				return
			}
			cat, rest, _ := strings.Cut(name, ".")
			if cat != "" && rest != "" && validCategory(cat) &&
				len(ExchangePrefix)+len(cat) <= maxShortStr && len(rest) <= maxShortStr {
				t.Fatalf("Route(%q) refused a valid name: %v", name, err)
			}
			return
		}
		cat, ok := strings.CutPrefix(ex, ExchangePrefix)
		switch {
		case !ok || cat == "" || strings.Contains(cat, "."):
			t.Fatalf("Route(%q): bad exchange %q", name, ex)
		case key == "":
			t.Fatalf("Route(%q): empty routing key", name)
		case cat+"."+key != name:
			t.Fatalf("Route(%q) = %q, %q: does not recompose the name", name, ex, key)
		case len(ex) > maxShortStr || len(key) > maxShortStr:
			t.Fatalf("Route(%q): exchange or key longer than 255 bytes", name)
		case !validCategory(cat):
			t.Fatalf("Route(%q): category %q has invalid characters", name, cat)
		}
	})
}
