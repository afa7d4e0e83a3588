package captcha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []Config{
			{},
			{Type: TypeNone},
			{Type: TypeRecaptcha, RecaptchaSecret: "s"},
			{Type: TypeGeetest, GeetestID: "id", GeetestKey: "k"},
			{Type: TypeRecaptcha, RecaptchaSecret: "s", SiteverifyURL: "http://127.0.0.1:1/siteverify"},
		} {
			if _, err := New(cfg, http.DefaultClient, nil); err != nil {
				t.Errorf("New(%v): %v", cfg, err)
			}
		}
	})

	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"ErrUnknownType":      {Config{Type: "hcaptcha"}, "BARONG_CAPTCHA"},
		"ErrTypeCase":         {Config{Type: "ReCaptcha", RecaptchaSecret: "s"}, "BARONG_CAPTCHA"},
		"ErrRecaptchaSecret":  {Config{Type: TypeRecaptcha, RecaptchaSiteKey: "site"}, "BARONG_RECAPTCHA_SECRET_KEY"},
		"ErrGeetestKey":       {Config{Type: TypeGeetest, GeetestID: "id"}, "BARONG_GEETEST_KEY"},
		"ErrGeetestID":        {Config{Type: TypeGeetest, GeetestKey: "k"}, "BARONG_GEETEST_ID"},
		"ErrSiteverifyURL":    {Config{Type: TypeRecaptcha, RecaptchaSecret: "s", SiteverifyURL: "ftp://x/"}, "siteverify"},
		"ErrRelativeURL":      {Config{Type: TypeRecaptcha, RecaptchaSecret: "s", SiteverifyURL: "/siteverify"}, "siteverify"},
		"ErrUnparseableURL":   {Config{Type: TypeGeetest, GeetestID: "i", GeetestKey: "k", GeetestValidateURL: "http://[::1"}, "validate"},
		"ErrGeetestRegisterU": {Config{Type: TypeGeetest, GeetestID: "i", GeetestKey: "k", GeetestRegisterURL: "mailto:a@b"}, "register"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := New(tc.cfg, nil, nil)
			if err == nil || v != nil {
				t.Fatalf("New(%v) = %v, %v; want error", tc.cfg, v, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func TestNone(t *testing.T) {
	t.Parallel()
	v := mustNew(t, Config{Type: TypeNone}, testLogger(t))
	for _, r := range []Response{{}, TokenResponse(""), TokenResponse("x"), GeetestResponse("a", "b", "c")} {
		if err := v.Verify(context.Background(), r, ""); err != nil {
			t.Fatalf("none.Verify(%v) = %v", r, err)
		}
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    *Error
		key    string
		status int
	}{
		{ErrRequired, "identity.captcha.required", 400},
		{ErrMandatoryFields, "identity.captcha.mandatory_fields", 400},
		{ErrVerificationFailed, "identity.captcha.verification_failed", 422},
	} {
		if tc.err.Key != tc.key || tc.err.Status != tc.status || tc.err.Error() != tc.key {
			t.Errorf("%v = %+v, want %s %d", tc.err, *tc.err, tc.key, tc.status)
		}
		wrapped := fmt.Errorf("outer: %w: %w", tc.err, errors.New("cause"))
		if AsError(wrapped) != tc.err {
			t.Errorf("AsError(%v) = %v", wrapped, AsError(wrapped))
		}
	}
	if AsError(errors.New("x")) != nil || AsError(nil) != nil {
		t.Error("AsError invents an *Error")
	}
	if AsError(ErrFormat) != nil {
		t.Error("ErrFormat must not be an *Error: its key depends on the endpoint")
	}
	if KeyInvalidFormat != "identity.session.invalid_captcha_format" {
		t.Error(KeyInvalidFormat)
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	want := "user_create,session_create,password_reset,email_confirmation"
	if got := strings.Join(Endpoints, ","); got != want {
		t.Fatalf("Endpoints = %s", got)
	}
}

// TestRedaction: secrets and tokens do not show in any printed or logged
// form of Config or Response.
func TestRedaction(t *testing.T) {
	t.Parallel()
	cfg := Config{Type: TypeGeetest, RecaptchaSecret: testRecaptchaSecret, RecaptchaSiteKey: "site-key-public",
		GeetestID: testGeetestID, GeetestKey: testGeetestKey}
	token := TokenResponse(testRecaptchaToken)
	obj := GeetestResponse("challenge-x", "validate-y", testSeccode)

	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("captcha", "config", cfg, "token", token, "object", obj)
	fmt.Fprintf(&buf, "%v %+v %#v %s %v %+v %#v %v %#v", cfg, cfg, cfg, cfg, token, token, token, obj, obj)
	fmt.Fprintf(&buf, "%v %+v", []any{cfg, token}, map[string]any{"o": obj})

	out := buf.String()
	for _, secret := range []string{testRecaptchaSecret, testGeetestKey, testRecaptchaToken, testSeccode, "validate-y", "challenge-x"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows %q:\n%s", secret, out)
		}
	}
	for _, public := range []string{"site-key-public", testGeetestID, "[redacted]"} {
		if !strings.Contains(out, public) {
			t.Errorf("output lacks %q:\n%s", public, out)
		}
	}
}

// TestLeakCheckSeesSecrets: testLogger's check looks for the raw strings in
// JSON output, so JSON must not escape them.
func TestLeakCheckSeesSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{testRecaptchaSecret, testRecaptchaToken, testGeetestKey, testSeccode} {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Warn("x", "v", s)
		if !strings.Contains(buf.String(), s) {
			t.Errorf("JSON log escapes %q; the leak check would miss it", s)
		}
	}
}
