package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/token"
)

// mparams reads the parameters of a management endpoint (the verified
// payload's data) and collects Grape's English validation messages
// ("uid is missing", "uid is empty", "page non_integer_page"), answered
// together as 422 {"error":"<message>, <message>"}.
type mparams struct {
	vals map[string]any
	errs []string
}

func newMParams(data map[string]any) *mparams { return &mparams{vals: data} }

// fail adds Grape's "<name> <message>" once.
func (p *mparams) fail(name, msg string) {
	m := name + " " + msg
	for _, e := range p.errs {
		if e == m {
			return
		}
	}
	p.errs = append(p.errs, m)
}

// raw returns the value of name; JSON null counts as not sent.
func (p *mparams) raw(name string) (any, bool) {
	v, ok := p.vals[name]
	return v, ok && v != nil
}

// Has reports whether name was sent.
func (p *mparams) Has(name string) bool { _, ok := p.raw(name); return ok }

// str coerces a sent value to a String as Grape does (numbers and booleans
// become text); objects and arrays are "is invalid".
func (p *mparams) str(name string, v any) (string, bool) {
	s, ok := asString(v)
	if !ok {
		p.fail(name, "is invalid")
	}
	return s, ok
}

// Required is `requires name, type: String, allow_blank: false`.
func (p *mparams) Required(name string) string {
	v, ok := p.raw(name)
	if !ok {
		p.fail(name, "is missing")
		p.fail(name, "is empty")
		return ""
	}
	s, ok := p.str(name, v)
	if ok && strings.TrimSpace(s) == "" {
		p.fail(name, "is empty")
	}
	return s
}

// RequiredBlankOK is `requires name, type: String` (blank allowed).
func (p *mparams) RequiredBlankOK(name string) string {
	v, ok := p.raw(name)
	if !ok {
		p.fail(name, "is missing")
		return ""
	}
	s, _ := p.str(name, v)
	return s
}

// Optional is `optional name, type: String, allow_blank: false`; it
// reports whether name was sent.
func (p *mparams) Optional(name string) (string, bool) {
	v, ok := p.raw(name)
	if !ok {
		return "", false
	}
	s, ok := p.str(name, v)
	if ok && strings.TrimSpace(s) == "" {
		p.fail(name, "is empty")
	}
	return s, ok
}

// OptionalPtr is Optional as a pointer, nil when not sent.
func (p *mparams) OptionalPtr(name string) *string {
	s, ok := p.Optional(name)
	if !ok {
		return nil
	}
	return &s
}

// OptionalBlankOK is `optional name, type: String` ("" when not sent).
func (p *mparams) OptionalBlankOK(name string) string {
	v, ok := p.raw(name)
	if !ok {
		return ""
	}
	s, _ := p.str(name, v)
	return s
}

// Bool is an optional Boolean with default def; msg is the coercion
// message ("is invalid" or the endpoint's own).
func (p *mparams) Bool(name string, def bool, msg string) bool {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case string, json.Number:
		s, _ := asString(x)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "t", "1", "yes":
			return true
		case "false", "f", "0", "no":
			return false
		}
	}
	p.fail(name, msg)
	return def
}

// Int is an optional Integer; msg is the coercion message.
func (p *mparams) Int(name, msg string) (int64, bool) {
	v, ok := p.raw(name)
	if !ok {
		return 0, false
	}
	var n int64
	var err error
	switch x := v.(type) {
	case json.Number:
		n, err = strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			f, ferr := x.Float64()
			if ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
				n, err = int64(f), nil
			}
		}
	case string:
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	default:
		err = fmt.Errorf("not an integer")
	}
	if err != nil {
		p.fail(name, msg)
		return 0, false
	}
	return n, true
}

// Date is an optional Date, returned as YYYY-MM-DD; blank counts as not
// sent when blankOK, else "is empty".
func (p *mparams) Date(name, msg string, blankOK bool) (string, bool) {
	v, ok := p.raw(name)
	if !ok {
		return "", false
	}
	s, ok := p.str(name, v)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		if !blankOK {
			p.fail(name, "is empty")
		}
		return "", false
	}
	d, ok := app.ParseDate(s)
	if !ok {
		p.fail(name, msg)
		return "", false
	}
	return d, true
}

// Time is an optional epoch-seconds Integer (from, to).
func (p *mparams) Time(name string) time.Time {
	n, ok := p.Int(name, "is invalid")
	if !ok {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Page reads the pagination_filters: page (positive) and limit (1..100).
func (p *mparams) Page() barong.Page {
	pg := barong.Page{Page: 1, Limit: 100}
	if n, ok := p.Int("page", "non_integer_page"); ok {
		if n < 1 {
			p.fail("page", "non_positive_page")
		} else {
			pg.Page = int(n)
		}
	}
	if n, ok := p.Int("limit", "non_integer_limit"); ok {
		if n < 1 || n > 100 {
			p.fail("limit", "invalid_limit")
		} else {
			pg.Limit = int(n)
		}
	}
	return pg
}

// ExactlyOne is Grape's exactly_one_of.
func (p *mparams) ExactlyOne(names ...string) {
	var sent []string
	for _, n := range names {
		if p.Has(n) {
			sent = append(sent, n)
		}
	}
	switch {
	case len(sent) == 0:
		p.fail(strings.Join(names, ", "), "are missing, exactly one parameter must be provided")
	case len(sent) > 1:
		p.fail(strings.Join(sent, ", "), "are mutually exclusive")
	}
}

// AtLeastOne is Grape's at_least_one_of.
func (p *mparams) AtLeastOne(names ...string) {
	for _, n := range names {
		if p.Has(n) {
			return
		}
	}
	p.fail(strings.Join(names, ", "), "are missing, at least one parameter must be provided")
}

// Err answers the collected messages: 422 {"error":"m1, m2"}.
func (p *mparams) Err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return mgmtFail(http.StatusUnprocessableEntity, strings.Join(p.errs, ", "))
}

// claimChecks maps the jwt: options of management_api.yml (ruby-jwt's
// names, with or without a leading colon) to token.ClaimChecks. A jti is
// always required, whatever verify_jti says: it is what makes each
// request single-use. exp and nbf are always checked when present.
func claimChecks(opts map[string]any) (token.ClaimChecks, error) {
	c := token.ClaimChecks{JTI: true}
	get := func(name string) (any, bool) {
		for k, v := range opts {
			if strings.TrimPrefix(k, ":") == name {
				return v, true
			}
		}
		return nil, false
	}
	on := func(name string) bool { v, _ := get(name); b, _ := v.(bool); return b }
	if v, ok := get("iss"); ok && on("verify_iss") {
		c.Issuer = fmt.Sprint(v)
	}
	if v, ok := get("aud"); ok && on("verify_aud") {
		switch a := v.(type) {
		case []any:
			for _, x := range a {
				c.Audience = append(c.Audience, fmt.Sprint(x))
			}
		default:
			c.Audience = []string{fmt.Sprint(a)}
		}
	}
	if v, ok := get("sub"); ok && on("verify_sub") {
		c.Subject = fmt.Sprint(v)
	}
	c.IssuedAt = on("verify_iat")
	for name, dst := range map[string]*time.Duration{"leeway": &c.Leeway, "exp_leeway": &c.ExpirationLeeway,
		"nbf_leeway": &c.NotBeforeLeeway, "iat_leeway": &c.IssuedAtLeeway} {
		v, ok := get(name)
		if !ok {
			continue
		}
		switch n := v.(type) {
		case int:
			*dst = time.Duration(n) * time.Second
		case float64:
			*dst = time.Duration(n * float64(time.Second))
		default:
			return c, fmt.Errorf("jwt option %s: %v is not a number of seconds", name, v)
		}
	}
	return c, nil
}
