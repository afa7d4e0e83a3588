package captcha

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// geetest verifies GeeTest (v3, "legacy" API) responses and issues
// challenges for the widget.
type geetest struct {
	provider
	id          string
	key         string
	validateURL string
	registerURL string
	log         *slog.Logger
}

// Verify implements Verifier (reference §10.2). A blank response is
// ErrRequired; a string, or an object without the three GeeTest fields as
// strings, is ErrMandatoryFields. The response is accepted only when
// geetest_validate is md5_hex(key + "geetest" + geetest_challenge) and
// GeeTest's validate.php answers md5_hex(geetest_seccode) for the seccode;
// anything else is ErrVerificationFailed. remoteIP is not used.
func (v *geetest) Verify(ctx context.Context, resp Response, _ string) error {
	if resp.Blank() {
		return fmt.Errorf("captcha: geetest: %w", ErrRequired)
	}
	challenge, validate, seccode, ok := resp.Geetest()
	if !ok {
		return fmt.Errorf("captcha: geetest: %w", ErrMandatoryFields)
	}
	if !v.validateMatches(challenge, validate) {
		v.log.DebugContext(ctx, "geetest validate does not match the challenge")
		return fmt.Errorf("captcha: geetest: validate does not match: %w", ErrVerificationFailed)
	}
	status, body, err := v.do(ctx, http.MethodPost, v.validateURL, url.Values{"seccode": {seccode}})
	if err != nil {
		v.log.WarnContext(ctx, "geetest validate failed", "err", err)
		return fmt.Errorf("captcha: geetest: %w: %w", ErrVerificationFailed, err)
	}
	if status != http.StatusOK {
		v.log.WarnContext(ctx, "geetest validate answered an error status", "status", status)
		return fmt.Errorf("captcha: geetest: validate status %d: %w", status, ErrVerificationFailed)
	}
	if !equal(strings.TrimSpace(string(body)), md5Hex(seccode)) {
		v.log.InfoContext(ctx, "geetest refused the seccode")
		return fmt.Errorf("captcha: geetest: seccode refused: %w", ErrVerificationFailed)
	}
	return nil
}

// validateMatches is the local half of the check: validate must equal
// md5_hex(key + "geetest" + challenge). Compared in constant time because it
// is derived from the secret key.
func (v *geetest) validateMatches(challenge, validate string) bool {
	return equal(validate, md5Hex(v.key+"geetest"+challenge))
}

// registerChallengeLen is the length of the challenge register.php returns;
// anything else ("0", "fail", an HTML error page) means GeeTest is down.
const registerChallengeLen = 32

// Register implements Registrar (reference §6.2.6): it asks register.php for a
// server challenge and returns the GeeTest id and md5_hex(server challenge +
// key). On any failure the challenge is "" and the failure is logged.
func (v *geetest) Register(ctx context.Context) (gt, challenge string) {
	target, err := url.Parse(v.registerURL)
	if err != nil { // checked by New; kept for safety
		v.log.ErrorContext(ctx, "geetest register URL", "err", err)
		return v.id, ""
	}
	q := target.Query()
	q.Set("gt", v.id)
	target.RawQuery = q.Encode()

	status, body, err := v.do(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		v.log.WarnContext(ctx, "geetest register failed", "err", err)
		return v.id, ""
	}
	server := strings.TrimSpace(string(body))
	if status != http.StatusOK || len(server) != registerChallengeLen {
		v.log.WarnContext(ctx, "geetest register answered no challenge", "status", status, "length", len(server))
		return v.id, ""
	}
	return v.id, md5Hex(server + v.key)
}
