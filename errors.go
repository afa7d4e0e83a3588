package barong

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an error; the HTTP layer maps each kind to one status.
type Kind int

// Error kinds. The HTTP statuses in the comments are the api package's.
const (
	KindInternal        Kind = iota // 500 server.internal_error
	KindBadRequest                  // 400: missing/blank parameters, Barong's 400 keys
	KindUnauthenticated             // 401
	KindForbidden                   // 403
	KindNotFound                    // 404
	KindConflict                    // 409
	KindInvalid                     // 422: present but invalid values, model errors
	KindTooMany                     // 429: throttled
	KindCustom                      // Status field decides (restriction codes such as 471)
)

// HTTPStatus is the status the HTTP layers (api, extauthz) answer an
// error of kind k with; 0 for KindCustom, whose Error carries its own.
// Plain numbers keep the root package free of net/http.
func (k Kind) HTTPStatus() int {
	switch k {
	case KindInternal:
		return 500
	case KindBadRequest:
		return 400
	case KindUnauthenticated:
		return 401
	case KindForbidden:
		return 403
	case KindNotFound:
		return 404
	case KindConflict:
		return 409
	case KindInvalid:
		return 422
	case KindTooMany:
		return 429
	}
	return 0
}

// Error is a failure with Barong's error keys, e.g. identity.session.invalid_params.
type Error struct {
	Kind   Kind
	Keys   []string
	Status int   // only for KindCustom
	Cause  error // internal cause, logged, never shown
	// RetryAfter tells a throttled client when to try again (429's
	// Retry-After header); zero when not known.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := strings.Join(e.Keys, ",")
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// HTTPStatus is the status e is answered with: its kind's, or Status
// for KindCustom.
func (e *Error) HTTPStatus() int {
	if e.Kind == KindCustom {
		return e.Status
	}
	return e.Kind.HTTPStatus()
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

func newErr(k Kind, keys []string) *Error { return &Error{Kind: k, Keys: keys} }

// BadRequest is a 400 with keys.
func BadRequest(keys ...string) *Error { return newErr(KindBadRequest, keys) }

// Unauthorized is a 401 with keys.
func Unauthorized(keys ...string) *Error { return newErr(KindUnauthenticated, keys) }

// Forbidden is a 403 with keys.
func Forbidden(keys ...string) *Error { return newErr(KindForbidden, keys) }

// NotFound is a 404 with keys.
func NotFound(keys ...string) *Error { return newErr(KindNotFound, keys) }

// Conflict is a 409 with keys.
func Conflict(keys ...string) *Error { return newErr(KindConflict, keys) }

// Invalid is a 422 with keys.
func Invalid(keys ...string) *Error { return newErr(KindInvalid, keys) }

// TooMany is a 429 with keys.
func TooMany(keys ...string) *Error { return newErr(KindTooMany, keys) }

// WithStatus is an error answered with an explicit status (restriction codes).
func WithStatus(status int, keys ...string) *Error {
	return &Error{Kind: KindCustom, Status: status, Keys: keys}
}

// Internal wraps an unexpected failure; it is shown as server.internal_error.
func Internal(format string, args ...any) *Error {
	return &Error{Kind: KindInternal, Keys: []string{"server.internal_error"}, Cause: fmt.Errorf(format, args...)}
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Sentinel errors of the stores.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate means a unique index refused the row; DuplicateError tells which.
	ErrDuplicate = errors.New("duplicate")
)

// DuplicateError is returned by stores when a unique constraint fails. Field
// is the model attribute Barong reports (email, username, uid, kid, key,
// title, value); Is(ErrDuplicate) holds.
type DuplicateError struct{ Field string }

func (e *DuplicateError) Error() string        { return e.Field + " taken" }
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// ValidationErrors collects Barong model error keys ("email.invalid") in
// validation order without duplicates.
type ValidationErrors []string

// Add appends key unless present.
func (v *ValidationErrors) Add(key string) {
	for _, k := range *v {
		if k == key {
			return
		}
	}
	*v = append(*v, key)
}

// Err returns a 422 Error with the keys, or nil when there are none.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return Invalid(v...)
}
