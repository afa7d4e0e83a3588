package captcha

import (
	"errors"
	"net/http"
)

// Barong's error keys for captcha failures (reference §10.2, §6.2.1).
const (
	// KeyRequired is answered with 400 when captcha_response is blank.
	KeyRequired = "identity.captcha.required"
	// KeyMandatoryFields is answered with 400 when a GeeTest response is not an
	// object with string geetest_challenge, geetest_validate, geetest_seccode.
	KeyMandatoryFields = "identity.captcha.mandatory_fields"
	// KeyVerificationFailed is answered with 422 when the provider rejects the
	// response or cannot be asked.
	KeyVerificationFailed = "identity.captcha.verification_failed"
	// KeyInvalidFormat is answered by POST /identity/sessions with 422 when
	// captcha_response is neither a string nor an object (ErrFormat).
	KeyInvalidFormat = "identity.session.invalid_captcha_format"
)

// Names of the endpoints that captcha_protected_endpoints in barong.yml can
// list (reference §2.4, §10.2). Which ones are protected is configuration.
const (
	EndpointUserCreate        = "user_create"        // POST /identity/users
	EndpointSessionCreate     = "session_create"     // POST /identity/sessions
	EndpointPasswordReset     = "password_reset"     // POST /identity/users/password/generate_code
	EndpointEmailConfirmation = "email_confirmation" // POST /identity/users/email/generate_code
)

// Endpoints lists every endpoint name that can be captcha-protected, in
// Barong's default order; config validation can check names against it.
var Endpoints = []string{EndpointUserCreate, EndpointSessionCreate, EndpointPasswordReset, EndpointEmailConfirmation}

// Error is a captcha failure as the client sees it: one Barong error key and
// the HTTP status it is answered with. Verify wraps one of the sentinels
// below, sometimes together with an internal cause meant only for logs; find
// it with errors.As and compare with errors.Is.
type Error struct {
	Key    string
	Status int
}

// Error returns the key.
func (e *Error) Error() string { return e.Key }

// The errors Verify returns (wrapped).
var (
	// ErrRequired: captcha_response is missing or blank.
	ErrRequired = &Error{Key: KeyRequired, Status: http.StatusBadRequest}
	// ErrMandatoryFields: GeeTest fields are missing or not strings.
	ErrMandatoryFields = &Error{Key: KeyMandatoryFields, Status: http.StatusBadRequest}
	// ErrVerificationFailed: the provider said no, answered nonsense, or could
	// not be reached in time.
	ErrVerificationFailed = &Error{Key: KeyVerificationFailed, Status: http.StatusUnprocessableEntity}
)

// ErrFormat is wrapped by ParseResponse and ParseForm when captcha_response
// is neither a string nor an object. It is a request-parsing error, not an
// *Error: the login endpoint answers it with 422 KeyInvalidFormat, and the
// other endpoints with their own parameter-type error.
var ErrFormat = errors.New("captcha_response must be a string or an object")

// AsError returns the *Error in err's chain, or nil when there is none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
