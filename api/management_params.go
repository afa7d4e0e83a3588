package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/token"
)

// The management family's readers of the one parser (params, api/params.go),
// named after Grape's declarations: their messages ("uid is missing",
// "page non_integer_page") are answered together as 422
// {"error":"<message>, <message>"}.

// RequiredBlankOK is `requires name, type: String` (blank allowed):
// RequiredPresent.
func (p *params) RequiredBlankOK(name string) string { return p.RequiredPresent(name) }

// Optional is `optional name, type: String, allow_blank: false`
// (NotBlank); it reports whether name was sent as a string.
func (p *params) Optional(name string) (string, bool) { return p.NotBlank(name) }

// OptionalPtr is Optional as a pointer, nil when not sent.
func (p *params) OptionalPtr(name string) *string {
	s, ok := p.Optional(name)
	if !ok {
		return nil
	}
	return &s
}

// OptionalBlankOK is `optional name, type: String` ("" when not sent):
// String.
func (p *params) OptionalBlankOK(name string) string { return p.String(name) }

// Date is an optional Date, returned as YYYY-MM-DD; blank counts as not
// sent when blankOK, else "is empty".
func (p *params) Date(name, msg string, blankOK bool) (string, bool) {
	v, ok := p.raw(name)
	if !ok {
		return "", false
	}
	s, ok := asString(v)
	if !ok {
		p.nonString(name)
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		if !blankOK {
			p.emptyParam(name)
		}
		return "", false
	}
	d, ok := app.ParseDate(s)
	if !ok {
		p.invalidParam(name, msg)
		return "", false
	}
	return d, true
}

// Time is an optional epoch-seconds Integer (from, to).
func (p *params) Time(name string) time.Time {
	n, ok := p.Int(name, "is invalid")
	if !ok {
		return time.Time{}
	}
	return unixTime(n)
}

// ExactlyOne is Grape's exactly_one_of.
func (p *params) ExactlyOne(names ...string) {
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
func (p *params) AtLeastOne(names ...string) {
	for _, n := range names {
		if p.Has(n) {
			return
		}
	}
	p.fail(strings.Join(names, ", "), "are missing, at least one parameter must be provided")
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
