// Package captcha checks the captcha_response that clients send to the
// captcha-protected identity endpoints (reference §10.2) against Google
// reCAPTCHA v2 or GeeTest, and hands out GeeTest challenges for
// GET /identity/users/register_geetest (reference §6.2.6).
//
// Use it from the HTTP layer in three steps:
//
//  1. Build one Verifier at start-up with New, from BARONG_CAPTCHA and the
//     provider credentials. Type "none" gives a Verifier that accepts
//     everything, so callers need no special case.
//  2. Turn the request's captcha_response into a Response with ParseResponse
//     (decoded JSON value) or ParseForm (form or multipart fields, including
//     captcha_response[geetest_challenge] and friends). A value of the wrong
//     type (number, boolean, array) gives an error wrapping ErrFormat; on
//     POST /identity/sessions that is 422 identity.session.invalid_captcha_format
//     (KeyInvalidFormat).
//  3. When the endpoint is listed in captcha_protected_endpoints (constants
//     EndpointUserCreate and friends), call Verify. Every error it returns
//     carries an *Error (errors.As) with Barong's key and HTTP status:
//     400 identity.captcha.required, 400 identity.captcha.mandatory_fields or
//     422 identity.captcha.verification_failed.
//
// register_geetest: Barong answers 200 with {"gt":..,"challenge":..} and, when
// GeeTest cannot be reached, the bare JSON string "". We keep the object shape
// in every case so clients can always read it: Register (or the Registrar
// method of a GeeTest verifier) returns the configured GeeTest id as gt and an
// empty challenge on failure, and the endpoint answers 200
// {"gt":"<geetest id>","challenge":""}. When BARONG_CAPTCHA is not geetest the
// endpoint answers 200 {"gt":"","challenge":""}.
//
// Neither the provider secrets nor the user's response token are ever logged:
// Config and Response redact them in their String, GoString and LogValue forms.
package captcha
