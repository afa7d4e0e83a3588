package token

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Words carried by VerifyError. Each is the last word of the message that
// ruby-jwt (the library Barong uses) raises for the same failure, so that
// VerifyError.Key() reproduces Barong's "jwt.decode_and_verify.<word>" keys.
const (
	// WordSegments: the token is not three dot-separated segments with a
	// non-empty signature ("Not enough or too many segments").
	WordSegments = "segments"
	// WordEncoding: a segment is not base64url or the header/claims are not a
	// JSON object ("Invalid segment encoding").
	WordEncoding = "encoding"
	// WordAlgorithm: the header names an algorithm other than the one pinned
	// to the verification key(s) ("Expected a different algorithm").
	WordAlgorithm = "algorithm"
	// WordRaised: the signature does not verify ("Signature verification
	// raised").
	WordRaised = "raised"
	// WordExpired: exp has passed, or is missing or not a number ("Signature
	// has expired").
	WordExpired = "expired"
	// WordReached: nbf is in the future ("Signature nbf has not been
	// reached").
	WordReached = "reached"
	// WordIat: iat is not a number or lies in the future ("Invalid iat").
	WordIat = "iat"
	// WordJTI: jti is missing or blank ("Missing jti").
	WordJTI = "jti"
)

// KeyPrefix is the error-key prefix Barong uses for token failures. A bare
// KeyPrefix (no word) is what the resource/admin APIs answer for a rejected
// bearer token.
const KeyPrefix = "jwt.decode_and_verify"

// VerifyError is returned by every verification in this package. Word is the
// last whitespace-separated word of the message ruby-jwt raises for the same
// failure. For the fixed failures it is one of the Word* constants; for a
// wrong iss, aud or sub it is the last word of the value received, rendered
// as Ruby would interpolate it ("<none>" when the claim is absent or null),
// e.g. a reset token given to the confirmation endpoint yields "reset".
type VerifyError struct {
	// Word is the key suffix, see the type documentation.
	Word string
	// Msg is the ruby-jwt style message the word was taken from.
	Msg string
	err error
}

// Key returns Barong's error key, "jwt.decode_and_verify.<word>".
func (e *VerifyError) Key() string { return KeyPrefix + "." + e.Word }

// Error implements error.
func (e *VerifyError) Error() string {
	if e.err != nil {
		return "token: " + e.Msg + ": " + e.err.Error()
	}
	return "token: " + e.Msg
}

// Unwrap returns the underlying cause, if any.
func (e *VerifyError) Unwrap() error { return e.err }

var fixedMessages = map[string]string{
	WordSegments:  "Not enough or too many segments",
	WordEncoding:  "Invalid segment encoding",
	WordAlgorithm: "Expected a different algorithm",
	WordRaised:    "Signature verification raised",
	WordExpired:   "Signature has expired",
	WordReached:   "Signature nbf has not been reached",
	WordIat:       "Invalid iat",
	WordJTI:       "Missing jti",
}

// verr builds a VerifyError for one of the fixed words.
func verr(word string, cause error) *VerifyError {
	return &VerifyError{Word: word, Msg: fixedMessages[word], err: cause}
}

// mismatch builds the VerifyError ruby-jwt raises for a wrong iss/aud/sub:
// "Invalid <what>. Expected <want>, received <got || '<none>'>", keeping the
// message's last word.
func mismatch(what, want string, got json.RawMessage) *VerifyError {
	recv := rubyInterpolate(got)
	msg := "Invalid " + what + ". Expected " + want + ", received " + recv
	fields := strings.Fields(msg)
	return &VerifyError{Word: fields[len(fields)-1], Msg: msg}
}

// rubyInterpolate renders a JSON value the way "#{v || '<none>'}" renders the
// parsed value in Ruby: strings raw, arrays and hashes via inspect, nil and
// false as "<none>". Numbers keep their JSON spelling (close to, not always
// equal to, Ruby's Float#to_s).
func rubyInterpolate(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "<none>"
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case nil:
		return "<none>"
	case bool:
		if !x {
			return "<none>"
		}
		return "true"
	case string:
		return x
	default:
		return rubyInspect(v)
	}
}

// rubyInspect approximates Ruby's #inspect of a parsed JSON value.
func rubyInspect(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = rubyInspect(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // Ruby keeps insertion order; sorted is at least stable
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + "=>" + rubyInspect(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return ""
	}
}
