package captcha

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"unicode"
)

// Names of the fields of a GeeTest captcha_response object.
const (
	FieldGeetestChallenge = "geetest_challenge"
	FieldGeetestValidate  = "geetest_validate"
	FieldGeetestSeccode   = "geetest_seccode"
)

// ParamName is the request parameter that carries the captcha response.
const ParamName = "captcha_response"

type shape uint8

const (
	shapeAbsent shape = iota // nil or not sent
	shapeString              // reCAPTCHA token
	shapeObject              // GeeTest fields
)

// Response is a parsed captcha_response: nothing, a string (reCAPTCHA token)
// or an object (GeeTest's geetest_challenge, geetest_validate,
// geetest_seccode). The zero value is an absent response. Its contents are
// user secrets: String, GoString and LogValue redact them.
type Response struct {
	shape     shape
	token     string
	keys      int  // number of keys the object had
	complete  bool // object had all three GeeTest fields as strings
	challenge string
	validate  string
	seccode   string
}

// TokenResponse returns a Response as if the client had sent the string s.
func TokenResponse(s string) Response { return Response{shape: shapeString, token: s} }

// GeetestResponse returns a Response as if the client had sent an object with
// the three GeeTest fields as strings.
func GeetestResponse(challenge, validate, seccode string) Response {
	return Response{shape: shapeObject, keys: 3, complete: true, challenge: challenge, validate: validate, seccode: seccode}
}

// ParseResponse turns the decoded JSON value of captcha_response into a
// Response. nil gives an absent (blank) Response; a string gives a token; a
// map[string]any or map[string]string gives an object whose GeeTest fields
// are kept when they are strings (other keys are ignored). Any other type
// (number, boolean, array) gives an error wrapping ErrFormat.
func ParseResponse(v any) (Response, error) {
	switch v := v.(type) {
	case nil:
		return Response{}, nil
	case Response:
		return v, nil
	case string:
		return TokenResponse(v), nil
	case map[string]string:
		r := Response{shape: shapeObject, keys: len(v)}
		c, okC := v[FieldGeetestChallenge]
		val, okV := v[FieldGeetestValidate]
		s, okS := v[FieldGeetestSeccode]
		r.setFields(c, val, s, okC && okV && okS)
		return r, nil
	case map[string]any:
		r := Response{shape: shapeObject, keys: len(v)}
		c, okC := v[FieldGeetestChallenge].(string)
		val, okV := v[FieldGeetestValidate].(string)
		s, okS := v[FieldGeetestSeccode].(string)
		r.setFields(c, val, s, okC && okV && okS)
		return r, nil
	case json.Number, float64, float32, int, int64, bool, []any:
		return Response{}, fmt.Errorf("%s is a %s: %w", ParamName, jsonKind(v), ErrFormat)
	default:
		return Response{}, fmt.Errorf("%s has unsupported type %T: %w", ParamName, v, ErrFormat)
	}
}

func (r *Response) setFields(challenge, validate, seccode string, complete bool) {
	r.complete = complete
	if complete {
		r.challenge, r.validate, r.seccode = challenge, validate, seccode
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case []any:
		return "array"
	default:
		return "number"
	}
}

// ParseForm reads captcha_response from form or multipart fields, the way
// Rack nests parameters: captcha_response=<token> gives a token;
// captcha_response[geetest_challenge]=..&captcha_response[geetest_validate]=..
// gives an object; no field gives an absent Response. Arrays
// (captcha_response[]=..) and a token mixed with object fields give an error
// wrapping ErrFormat. For a repeated field the last value wins, as in Rack.
func ParseForm(form url.Values) (Response, error) {
	var (
		token    []string
		obj      map[string]string
		nonStr   = map[string]bool{} // object keys whose value is nested, not a string
		objSeen  bool
		prefix   = ParamName + "["
		hasToken bool
	)
	for name, vals := range form {
		if name == ParamName {
			token, hasToken = vals, true
			continue
		}
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		key, tail, ok := strings.Cut(rest, "]")
		if !ok {
			continue // "captcha_response[abc" is a differently named parameter for Rack too
		}
		if key == "" {
			return Response{}, fmt.Errorf("%s is an array: %w", ParamName, ErrFormat)
		}
		objSeen = true
		if obj == nil {
			obj = map[string]string{}
		}
		if tail != "" {
			nonStr[key] = true
			continue
		}
		if len(vals) > 0 {
			obj[key] = vals[len(vals)-1]
		} else {
			obj[key] = ""
		}
	}
	switch {
	case hasToken && objSeen:
		return Response{}, fmt.Errorf("%s is both a string and an object: %w", ParamName, ErrFormat)
	case hasToken:
		if len(token) == 0 {
			return TokenResponse(""), nil
		}
		return TokenResponse(token[len(token)-1]), nil
	case objSeen:
		for k := range nonStr {
			delete(obj, k)
		}
		r, err := ParseResponse(obj)
		r.keys += len(nonStr)
		return r, err
	default:
		return Response{}, nil
	}
}

// Blank reports whether the response counts as not sent: absent, an empty or
// all-whitespace string, or an object without keys (Ruby's blank?).
func (r Response) Blank() bool {
	switch r.shape {
	case shapeString:
		return strings.TrimFunc(r.token, unicode.IsSpace) == ""
	case shapeObject:
		return r.keys == 0
	default:
		return true
	}
}

// IsString reports whether the client sent a string.
func (r Response) IsString() bool { return r.shape == shapeString }

// IsObject reports whether the client sent an object.
func (r Response) IsObject() bool { return r.shape == shapeObject }

// Token returns the string the client sent ("" for an object or nothing).
func (r Response) Token() string { return r.token }

// Geetest returns the three GeeTest fields; ok is false unless the client sent
// an object in which all three were strings.
func (r Response) Geetest() (challenge, validate, seccode string, ok bool) {
	if r.shape != shapeObject || !r.complete {
		return "", "", "", false
	}
	return r.challenge, r.validate, r.seccode, true
}

// String describes the response without its contents.
func (r Response) String() string {
	switch r.shape {
	case shapeString:
		return "captcha.Response{string:[redacted]}"
	case shapeObject:
		return fmt.Sprintf("captcha.Response{object:%d keys, complete:%t, [redacted]}", r.keys, r.complete)
	default:
		return "captcha.Response{absent}"
	}
}

// GoString is String, so %#v cannot print the token either.
func (r Response) GoString() string { return r.String() }

// LogValue logs the shape of the response, never its contents.
func (r Response) LogValue() slog.Value {
	kind := map[shape]string{shapeAbsent: "absent", shapeString: "string", shapeObject: "object"}[r.shape]
	return slog.GroupValue(slog.String("shape", kind), slog.Bool("blank", r.Blank()))
}
