package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// claimSet holds the registered claims in their raw JSON form, so that the
// checks can tell a missing claim (nil) from a null one ("null") and
// interpret values the way ruby-jwt does.
type claimSet struct {
	Iat json.RawMessage `json:"iat"`
	Exp json.RawMessage `json:"exp"`
	Nbf json.RawMessage `json:"nbf"`
	Iss json.RawMessage `json:"iss"`
	Sub json.RawMessage `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Jti json.RawMessage `json:"jti"`
}

// ClaimChecks selects the registered-claim checks, mirroring ruby-jwt's
// verification options. exp and nbf are always checked when present.
type ClaimChecks struct {
	// Issuer, when set, requires iss to equal it (word: the received iss).
	Issuer string
	// Audience, when set, requires aud (a string or an array) to contain at
	// least one of these values (word: last word of the received aud).
	Audience []string
	// Subject, when set, requires sub to equal it (word: the received sub).
	Subject string
	// IssuedAt requires a present iat to be a number not in the future.
	IssuedAt bool
	// JTI requires a non-blank jti.
	JTI bool
	// RequireExp treats a missing exp as expired (ruby-jwt accepts it).
	RequireExp bool
	// Leeway applies to exp, nbf and iat unless a specific leeway is set.
	Leeway time.Duration
	// IssuedAtLeeway, ExpirationLeeway and NotBeforeLeeway override Leeway
	// for their claim when non-zero.
	IssuedAtLeeway, ExpirationLeeway, NotBeforeLeeway time.Duration
}

// Validate applies the checks to a JSON claims object (for instance the
// payload VerifyGeneral returns). Errors are *VerifyError.
func (c ClaimChecks) Validate(claims []byte, now time.Time) error {
	var cs claimSet
	if !isJSONObject(claims) {
		return verr(WordEncoding, errors.New("claims: not a JSON object"))
	}
	if err := json.Unmarshal(claims, &cs); err != nil {
		return verr(WordEncoding, fmt.Errorf("claims: %w", err))
	}
	if e := c.check(&cs, now); e != nil {
		return e
	}
	return nil
}

func pick(specific, general time.Duration) time.Duration {
	if specific != 0 {
		return specific
	}
	return general
}

// check runs the checks in ruby-jwt's order: exp, nbf, iss, iat, jti, aud,
// sub.
func (c *ClaimChecks) check(cs *claimSet, now time.Time) *VerifyError {
	nowSec := now.Unix()
	if cs.Exp == nil {
		if c.RequireExp {
			return verr(WordExpired, errors.New("exp missing"))
		}
	} else if rubyToI(cs.Exp) <= nowSec-int64(pick(c.ExpirationLeeway, c.Leeway)/time.Second) {
		return verr(WordExpired, nil)
	}
	if cs.Nbf != nil && rubyToI(cs.Nbf) > nowSec+int64(pick(c.NotBeforeLeeway, c.Leeway)/time.Second) {
		return verr(WordReached, nil)
	}
	if c.Issuer != "" {
		if s, ok := jsonString(cs.Iss); !ok || s != c.Issuer {
			return mismatch("issuer", c.Issuer, cs.Iss)
		}
	}
	if c.IssuedAt && cs.Iat != nil {
		iat, ok := jsonNumber(cs.Iat)
		limit := float64(now.UnixNano())/1e9 + pick(c.IssuedAtLeeway, c.Leeway).Seconds()
		if !ok || iat > limit {
			return verr(WordIat, nil)
		}
	}
	if c.JTI && jtiBlank(cs.Jti) {
		return verr(WordJTI, nil)
	}
	if len(c.Audience) > 0 && !audMatches(cs.Aud, c.Audience) {
		want := c.Audience[0]
		if len(c.Audience) > 1 {
			want = rubyInspect(toAny(c.Audience))
		}
		return mismatch("audience", want, cs.Aud)
	}
	if c.Subject != "" {
		if s, ok := jsonString(cs.Sub); !ok || s != c.Subject {
			return mismatch("subject", c.Subject, cs.Sub)
		}
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// jsonString returns the value of a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonNumber returns the value of a JSON number.
func jsonNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// rubyToI mimics Ruby's #to_i on a parsed claim: numbers truncate toward
// zero, strings take their leading integer, anything else is 0.
func rubyToI(raw json.RawMessage) int64 {
	if f, ok := jsonNumber(raw); ok {
		switch {
		case f >= math.MaxInt64:
			return math.MaxInt64
		case f <= math.MinInt64:
			return math.MinInt64
		}
		return int64(f)
	}
	if s, ok := jsonString(raw); ok {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
		end := 0
		if end < len(s) && (s[end] == '-' || s[end] == '+') {
			end++
		}
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, err := strconv.ParseInt(s[:end], 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	return 0
}

// jtiBlank mirrors ruby-jwt's jti.to_s.strip.empty?.
func jtiBlank(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	if s, ok := jsonString(raw); ok {
		return strings.TrimSpace(s) == ""
	}
	return false
}

// audMatches reports whether aud (a string or a possibly nested array)
// contains one of want, compared as strings.
func audMatches(raw json.RawMessage, want []string) bool {
	if len(raw) == 0 {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			for _, w := range want {
				if x == w {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
