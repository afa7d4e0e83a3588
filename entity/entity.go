// Package entity holds the JSON shapes of Barong's entities, shared by the
// HTTP responses (api) and the event records (app): one struct per shape,
// its fields declared in Barong's order (encoding/json writes struct fields
// in declaration order), built from the domain types by constructors that
// take the masking options.
//
// Conventions: a string that Barong renders as null when empty is a
// *string made by Null; times are whole-second ISO 8601 UTC strings made
// by Time; members Barong shows only in some answers are pointers or
// distinct structs, never `omitempty` on a value that may legitimately be
// empty.
package entity

import (
	"strings"
	"time"
)

// Time formats an entity time: ISO 8601 UTC without fractions.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// TimeMillis formats a time as Rails does with milliseconds (Phone's
// validated_at).
func TimeMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Null is s, or nil (JSON null) when s is empty.
func Null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MaskName keeps the first character and stars the rest (Profile's
// last_name when masking is on).
func MaskName(s string) string {
	r := []rune(s)
	if len(r) <= 1 {
		return s
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// MaskDOB stars everything after YYYY-MM- (Profile's dob when masking is
// on).
func MaskDOB(s string) string {
	if len(s) <= 8 {
		return s
	}
	return s[:8] + strings.Repeat("*", len(s)-8)
}

// MaskDocNumber keeps the first two and the last two characters of a
// document number and stars the rest (AA****BB), as Barong's entity does.
func MaskDocNumber(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return s
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

// List renders every element of xs with f, in order; never nil, so that
// an empty list renders as [].
func List[T, E any](xs []T, f func(*T) E) []E {
	out := make([]E, 0, len(xs))
	for i := range xs {
		out = append(out, f(&xs[i]))
	}
	return out
}
