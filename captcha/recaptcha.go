package captcha

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// recaptcha verifies Google reCAPTCHA v2 tokens with the siteverify API.
type recaptcha struct {
	provider
	secret     string
	siteverify string
	log        *slog.Logger
}

// siteverifyAnswer is the part of Google's answer we read. Success is a
// pointer so that an answer without it is refused rather than read as false
// by accident of decoding.
type siteverifyAnswer struct {
	Success    *bool    `json:"success"`
	ErrorCodes []string `json:"error-codes"`
}

// Verify implements Verifier (reference §10.2): a blank response is
// ErrRequired; anything but a string, a refusal, or a failure to ask Google is
// ErrVerificationFailed. remoteIP, when not empty, is passed as Google's
// optional remoteip (Barong did not send it).
func (v *recaptcha) Verify(ctx context.Context, resp Response, remoteIP string) error {
	if resp.Blank() {
		return fmt.Errorf("captcha: recaptcha: %w", ErrRequired)
	}
	if !resp.IsString() {
		v.log.DebugContext(ctx, "recaptcha response is not a string", "response", resp)
		return fmt.Errorf("captcha: recaptcha: response is an object: %w", ErrVerificationFailed)
	}
	form := url.Values{"secret": {v.secret}, "response": {resp.Token()}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	status, body, err := v.do(ctx, http.MethodPost, v.siteverify, form)
	if err != nil {
		v.log.WarnContext(ctx, "recaptcha siteverify failed", "err", err)
		return fmt.Errorf("captcha: recaptcha: %w: %w", ErrVerificationFailed, err)
	}
	if status != http.StatusOK {
		v.log.WarnContext(ctx, "recaptcha siteverify answered an error status", "status", status)
		return fmt.Errorf("captcha: recaptcha: siteverify status %d: %w", status, ErrVerificationFailed)
	}
	var ans siteverifyAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		v.log.WarnContext(ctx, "recaptcha siteverify answer is not JSON", "err", err)
		return fmt.Errorf("captcha: recaptcha: decode siteverify answer: %w: %w", ErrVerificationFailed, err)
	}
	if ans.Success == nil {
		v.log.WarnContext(ctx, "recaptcha siteverify answer has no success field")
		return fmt.Errorf("captcha: recaptcha: siteverify answer without success: %w", ErrVerificationFailed)
	}
	if !*ans.Success {
		v.log.InfoContext(ctx, "recaptcha refused", "error_codes", ans.ErrorCodes)
		return fmt.Errorf("captcha: recaptcha: refused %v: %w", ans.ErrorCodes, ErrVerificationFailed)
	}
	return nil
}
