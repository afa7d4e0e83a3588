package api

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
)

// Body size limits: JSON and form bodies, and multipart uploads.
const (
	maxBodyBytes = 1 << 20
)

// params is the one parameter parser. It holds a request's parameters
// and collects what is wrong with them in one of two dialects:
//
//   - Barong's keys under a prefix such as "identity.user" (reference
//     §1.6): the identity, public, resource and admin families, whose
//     parameters are the query and the body (parseParams). Missing or
//     blank required parameters answer 400 (missing_/empty_ keys),
//     invalid values 422.
//   - Grape's English messages ("uid is missing", "page
//     non_integer_page"): the management family, whose parameters are
//     the verified JWS payload's data (newMParams), answered together as
//     422 {"error":"<message>, <message>"}.
//
// The readers are the same for both (Required, String, NotBlank, Bool,
// Int, Page...); management_params.go adds the management family's names
// for them and its own readers.
type params struct {
	prefix  string
	vals    map[string]any
	files   map[string][]*multipart.FileHeader
	missing []string // 400: missing_/empty_ keys
	invalid []string // 422
	// grape: the management dialect; errs are its messages.
	grape bool
	errs  []string
}

// newMParams reads the management payload's data.
// A field holding text that is not valid UTF-8 or holds a NUL (no column
// of PostgreSQL or MariaDB can store either) is "<name> is invalid".
func newMParams(data map[string]any) *params {
	p := &params{vals: data, grape: true}
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !storableText(k) || !storableValue(data[k]) {
			p.fail(k, "is invalid")
		}
	}
	return p
}

// storableText reports whether s can be stored in a text column of every
// database: valid UTF-8 without NUL bytes.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// storableValue is storableText for every string (and key) in v.
func storableValue(v any) bool {
	switch x := v.(type) {
	case string:
		return storableText(x)
	case []any:
		for _, e := range x {
			if !storableValue(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range x {
			if !storableText(k) || !storableValue(e) {
				return false
			}
		}
	}
	return true
}

// maxUnix and minUnix bound the epoch seconds of time parameters: the
// last and first second of the years 1..9999 that every database's
// DATETIME/timestamp holds and time.Unix reads without overflow.
const (
	maxUnix = 253402300799 - 1 // a second to spare: inclusive bounds become exclusive ones (+1 s)
	minUnix = -62135596800
)

// unixTime is time.Unix(n, 0) in UTC, clamped to the years 1..9999: a
// bound beyond them filters like the last (or first) representable
// second instead of reaching the database as an invalid datetime.
func unixTime(n int64) time.Time {
	return time.Unix(min(max(n, minUnix), maxUnix), 0).UTC()
}

// clampTime keeps a parsed time within the years 1..9999 (see unixTime).
func clampTime(t time.Time) time.Time { return unixTime(t.Unix()).Add(time.Duration(t.Nanosecond())) }

// What a reader finds wrong, recorded in the parser's dialect.

// missingParam: name was not sent (missing_<name>, "<name> is missing").
func (p *params) missingParam(name string) {
	if p.grape {
		p.fail(name, "is missing")
		return
	}
	p.missing = append(p.missing, p.key("missing", name))
}

// emptyParam: name is blank (empty_<name>, "<name> is empty").
func (p *params) emptyParam(name string) {
	if p.grape {
		p.fail(name, "is empty")
		return
	}
	p.missing = append(p.missing, p.key("empty", name))
}

// nonString: name is not a scalar (non_string_<name>, "<name> is invalid").
func (p *params) nonString(name string) {
	if p.grape {
		p.fail(name, "is invalid")
		return
	}
	p.addInvalid(p.key("non_string", name))
}

// invalidParam: name's value is refused with key (a Barong key, or
// Grape's message after the name).
func (p *params) invalidParam(name, key string) {
	if p.grape {
		p.fail(name, key)
		return
	}
	p.addInvalid(key)
}

// fail adds Grape's "<name> <message>" once.
func (p *params) fail(name, msg string) {
	m := name + " " + msg
	for _, e := range p.errs {
		if e == m {
			return
		}
	}
	p.errs = append(p.errs, m)
}

var errBodyTooLarge = barong.WithStatus(http.StatusRequestEntityTooLarge, "request.body_too_large")

// errUnsupportedContentType refuses a body that is not JSON (a missing
// Content-Type reads as JSON, as Grape's default format), form-encoded or
// multipart.
var errUnsupportedContentType = barong.WithStatus(http.StatusUnsupportedMediaType, "request.unsupported_content_type")

// parseParams reads the query string and the body of r. Malformed bodies
// answer 400 request.invalid_body; oversized ones 413
// request.body_too_large; other media types than JSON (also +json and no
// Content-Type), form and multipart 415 request.unsupported_content_type.
func parseParams(w http.ResponseWriter, r *http.Request, prefix string, maxUpload int64) (*params, error) {
	p := &params{prefix: prefix, vals: map[string]any{}}
	for k, v := range r.URL.Query() {
		setFormValue(p.vals, k, v)
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		p.addPath(r)
		if !storableValue(p.vals) {
			return nil, barong.BadRequest("request.invalid_body")
		}
		return p, nil
	}
	raw := r.Header.Get("Content-Type")
	ct, _, err := mime.ParseMediaType(raw)
	if err != nil && ct == "" {
		ct = raw // unparsable: refused below unless empty
	}
	if strings.HasSuffix(ct, "+json") {
		ct = "application/json"
	}
	switch ct {
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+maxBodyBytes)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, bodyError(err)
		}
		for k, v := range r.MultipartForm.Value {
			setFormValue(p.vals, k, v)
		}
		p.files = map[string][]*multipart.FileHeader{}
		for k, v := range r.MultipartForm.File {
			k = strings.TrimSuffix(k, "[]")
			p.files[k] = append(p.files[k], v...)
		}
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, barong.BadRequest("request.invalid_body")
		}
		for k, v := range form {
			setFormValue(p.vals, k, v)
		}
	case "", "application/json":
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil || dec.More() {
				return nil, barong.BadRequest("request.invalid_body")
			}
			for k, v := range m {
				p.vals[k] = v
			}
		}
	default:
		// As Grape: a body of another media type is refused, an empty one
		// ignored.
		if r.ContentLength != 0 {
			return nil, errUnsupportedContentType
		}
	}
	p.addPath(r)
	if !storableValue(p.vals) {
		// Text that is not UTF-8, or holds a NUL: Rack refuses such
		// parameters with 400; no database column could store them.
		return nil, barong.BadRequest("request.invalid_body")
	}
	return p, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errBodyTooLarge
	}
	return barong.BadRequest("request.invalid_body")
}

// addPath is a no-op placeholder: path values are read with r.PathValue.
func (p *params) addPath(*http.Request) {}

// setFormValue stores a form field, turning Rails-style names into nested
// values: a[b]=x → {"a":{"b":"x"}}, a[]=x → {"a":["x"]}.
func setFormValue(m map[string]any, key string, vals []string) {
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		base, sub := key[:i], key[i+1:len(key)-1]
		if sub == "" {
			arr := make([]any, len(vals))
			for j, v := range vals {
				arr[j] = v
			}
			m[base] = arr
			return
		}
		inner, _ := m[base].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
			m[base] = inner
		}
		inner[sub] = vals[len(vals)-1]
		return
	}
	m[key] = vals[len(vals)-1]
}

func (p *params) key(kind, name string) string { return p.prefix + "." + kind + "_" + name }

// raw returns the value of name and whether it was sent (JSON null counts
// as not sent, as Grape does).
func (p *params) raw(name string) (any, bool) {
	v, ok := p.vals[name]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// Has reports whether name was sent.
func (p *params) Has(name string) bool { _, ok := p.raw(name); return ok }

// asString coerces a scalar to its string form as Grape does.
func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// String returns an optional string parameter ("" when absent); a value
// that is not a scalar adds <prefix>.non_string_<name> (422). Barong
// answered Grape's bare "invalid", which does not say which field; the
// key follows Barong's own non_string_/non_integer_/non_boolean_ keys.
func (p *params) String(name string) string {
	v, ok := p.raw(name)
	if !ok {
		return ""
	}
	s, ok := asString(v)
	if !ok {
		p.nonString(name)
	}
	return s
}

// Required returns a required, non-blank string: missing adds missing_ and
// empty_ keys, blank adds empty_ (answered with 400).
func (p *params) Required(name string) string {
	v, ok := p.raw(name)
	if !ok {
		p.missingParam(name)
		p.emptyParam(name)
		return ""
	}
	s, ok := asString(v)
	if !ok {
		p.nonString(name)
		return ""
	}
	if strings.TrimSpace(s) == "" {
		p.emptyParam(name)
	}
	return s
}

// RequiredKey is Required with Barong's explicit message replacing the
// derived missing_ key.
func (p *params) RequiredKey(name, missingKey string) string {
	if !p.Has(name) {
		p.missing = append(p.missing, missingKey, p.key("empty", name))
		return ""
	}
	return p.Required(name)
}

// RequiredPresent requires name but allows blank values (only missing_).
func (p *params) RequiredPresent(name string) string {
	v, ok := p.raw(name)
	if !ok {
		p.missingParam(name)
		return ""
	}
	s, ok := asString(v)
	if !ok {
		p.nonString(name)
	}
	return s
}

// NotBlank returns an optional string that must not be blank when sent.
func (p *params) NotBlank(name string) (string, bool) {
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
		p.emptyParam(name)
	}
	return s, true
}

// Bool parses an optional boolean; other values add the key (management:
// the message, after Grape has stripped the value's spaces).
func (p *params) Bool(name string, def bool, invalidKey string) bool {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case string, json.Number:
		s, _ := asString(x)
		if p.grape {
			s = strings.TrimSpace(s)
		}
		switch strings.ToLower(s) {
		case "true", "1", "t", "yes":
			return true
		case "false", "0", "f", "no":
			return false
		}
	}
	p.invalidParam(name, invalidKey)
	return def
}

// Int parses an optional integer; other values add the key (management:
// the message; Grape also takes a JSON number with an integral value,
// such as 2.0).
func (p *params) Int(name, invalidKey string) (int64, bool) {
	v, ok := p.raw(name)
	if !ok {
		return 0, false
	}
	s, _ := asString(v)
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if x, isNum := v.(json.Number); err != nil && isNum && p.grape {
		if f, ferr := x.Float64(); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			n, err = int64(f), nil
		}
	}
	if err != nil {
		p.invalidParam(name, invalidKey)
		return 0, false
	}
	return n, true
}

// Int32 is Int for a value stored in a 32-bit INTEGER column (levels,
// restriction codes): a larger one is refused with invalidKey as well,
// instead of failing the database's range check.
func (p *params) Int32(name, invalidKey string) (int64, bool) {
	n, ok := p.Int(name, invalidKey)
	if ok && n != int64(int32(n)) {
		p.invalidParam(name, invalidKey)
		return 0, false
	}
	return n, ok
}

// Page reads page and limit with Barong's bare keys (reference §1.5).
func (p *params) Page() barong.Page {
	pg := barong.Page{Page: 1, Limit: 100}
	if n, ok := p.Int("page", "non_integer_page"); ok {
		if n < 1 {
			p.invalidParam("page", "non_positive_page")
		} else {
			pg.Page = int(n)
		}
	}
	if n, ok := p.Int("limit", "non_integer_limit"); ok {
		if n < 1 || n > 100 {
			p.invalidParam("limit", "invalid_limit")
		} else {
			pg.Limit = int(n)
		}
	}
	return pg
}

func (p *params) addInvalid(key string) {
	for _, k := range p.invalid {
		if k == key {
			return
		}
	}
	p.invalid = append(p.invalid, key)
}

// Invalid records a 422 key.
func (p *params) Invalid(key string) { p.addInvalid(key) }

// Err returns the collected failure: 400 when a required parameter is
// missing or blank (interface.md), else 422 for invalid values, else nil;
// management: 422 {"error":"m1, m2"} with every message.
func (p *params) Err() error {
	if p.grape {
		if len(p.errs) == 0 {
			return nil
		}
		return mgmtFail(http.StatusUnprocessableEntity, strings.Join(p.errs, ", "))
	}
	if len(p.missing) > 0 {
		return barong.BadRequest(append(p.missing, p.invalid...)...)
	}
	if len(p.invalid) > 0 {
		return barong.Invalid(p.invalid...)
	}
	return nil
}

// Any returns the raw decoded value (for captcha_response objects).
func (p *params) Any(name string) any { v, _ := p.raw(name); return v }

// Files returns the uploaded files of a field (upload and upload[]).
func (p *params) Files(name string) []*multipart.FileHeader { return p.files[name] }
