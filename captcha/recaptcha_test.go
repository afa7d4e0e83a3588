package captcha

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// fakeGoogle answers siteverify like Google: it checks the secret and
// accepts only testRecaptchaToken. It records the last form it received.
type fakeGoogle struct {
	*fakeProvider
	mu   sync.Mutex
	form url.Values
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	g := &fakeGoogle{}
	g.fakeProvider = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusMethodNotAllowed)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.form = r.PostForm
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.PostForm.Get("secret") != testRecaptchaSecret:
			fmt.Fprint(w, `{"success":false,"error-codes":["invalid-input-secret"]}`)
		case r.PostForm.Get("response") != testRecaptchaToken:
			fmt.Fprint(w, `{"success":false,"error-codes":["invalid-input-response"]}`)
		default:
			fmt.Fprint(w, `{"success":true,"challenge_ts":"2020-06-01T07:01:20Z","hostname":"localhost"}`)
		}
	})
	return g
}

func (g *fakeGoogle) Form() url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.form
}

func recaptchaConfig(siteverify string) Config {
	return Config{Type: TypeRecaptcha, RecaptchaSecret: testRecaptchaSecret, RecaptchaSiteKey: "site", SiteverifyURL: siteverify}
}

func TestRecaptcha(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		v := mustNew(t, recaptchaConfig(g.URL), testLogger(t))
		if err := v.Verify(context.Background(), TokenResponse(testRecaptchaToken), "203.0.113.7"); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		f := g.Form()
		if f.Get("secret") != testRecaptchaSecret || f.Get("response") != testRecaptchaToken || f.Get("remoteip") != "203.0.113.7" {
			t.Fatalf("siteverify got form %v", f)
		}
	})

	t.Run("OKWithoutRemoteIP", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		v := mustNew(t, recaptchaConfig(g.URL), testLogger(t))
		if err := v.Verify(context.Background(), TokenResponse(testRecaptchaToken), ""); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if _, ok := g.Form()["remoteip"]; ok {
			t.Fatalf("remoteip sent although empty: %v", g.Form())
		}
	})

	t.Run("ErrRequired", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		v := mustNew(t, recaptchaConfig(g.URL), testLogger(t))
		for _, r := range []Response{{}, TokenResponse(""), TokenResponse(" \t\n"), mustParse(t, map[string]any{})} {
			wantKey(t, v.Verify(context.Background(), r, ""), ErrRequired)
		}
		if g.Calls() != 0 {
			t.Fatalf("Google called %d times for blank responses", g.Calls())
		}
	})

	t.Run("ErrVerificationFailed", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		v := mustNew(t, recaptchaConfig(g.URL), testLogger(t))
		wantKey(t, v.Verify(context.Background(), TokenResponse("forged-token"), ""), ErrVerificationFailed)
		if g.Calls() != 1 {
			t.Fatalf("Google called %d times, want 1", g.Calls())
		}
	})

	t.Run("ErrVerificationFailedWrongSecret", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		cfg := recaptchaConfig(g.URL)
		cfg.RecaptchaSecret = "other-secret"
		v := mustNew(t, cfg, testLogger(t, "other-secret"))
		wantKey(t, v.Verify(context.Background(), TokenResponse(testRecaptchaToken), ""), ErrVerificationFailed)
	})

	t.Run("ErrVerificationFailedObject", func(t *testing.T) {
		t.Parallel()
		g := newFakeGoogle(t)
		v := mustNew(t, recaptchaConfig(g.URL), testLogger(t))
		r := GeetestResponse("a", "b", "c")
		wantKey(t, v.Verify(context.Background(), r, ""), ErrVerificationFailed)
		if g.Calls() != 0 {
			t.Fatalf("Google called for an object response")
		}
	})
}

// TestRecaptchaProviderFaults: every way Google can misbehave is 422
// verification_failed, never a success and never another key.
func TestRecaptchaProviderFaults(t *testing.T) {
	t.Parallel()
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	cases := map[string]struct {
		handler http.HandlerFunc // nil: nothing listens
		timeout time.Duration
	}{
		"MalformedJSON":  {handler: answer(200, `{"success":tru`)},
		"HTMLPage":       {handler: answer(200, `<html>captcha</html>`)},
		"NoSuccessField": {handler: answer(200, `{"error-codes":[]}`)},
		"SuccessString":  {handler: answer(200, `{"success":"true"}`)},
		"ServerError":    {handler: answer(500, `{"success":true}`)},
		"Down":           {},
		"Slow":           {handler: stall, timeout: 150 * time.Millisecond},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			target := deadURL(t)
			if tc.handler != nil {
				target = newFake(t, tc.handler).URL
			}
			cfg := recaptchaConfig(target)
			cfg.Timeout = tc.timeout
			v := mustNew(t, cfg, testLogger(t))
			start := time.Now()
			err := v.Verify(context.Background(), TokenResponse(testRecaptchaToken), "")
			wantKey(t, err, ErrVerificationFailed)
			if tc.timeout > 0 {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("slow provider: err = %v, want deadline exceeded in chain", err)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("slow provider took %v", d)
				}
			}
		})
	}
}

// TestRecaptchaCallerDeadline: the caller's context bounds the call too.
func TestRecaptchaCallerDeadline(t *testing.T) {
	t.Parallel()
	f := newFake(t, stall)
	v := mustNew(t, recaptchaConfig(f.URL), testLogger(t))
	ctx := ctxTimeout(t, 150*time.Millisecond)
	err := v.Verify(ctx, TokenResponse(testRecaptchaToken), "")
	wantKey(t, err, ErrVerificationFailed)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded in chain", err)
	}
}

func mustParse(t *testing.T, v any) Response {
	t.Helper()
	r, err := ParseResponse(v)
	if err != nil {
		t.Fatalf("ParseResponse(%v): %v", v, err)
	}
	return r
}
