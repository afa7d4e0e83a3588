package captcha

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testServerChallenge is what the fake register.php hands out.
const testServerChallenge = "0123456789abcdef0123456789abcdef"

// newFakeGeetest serves validate.php (accepts seccodes starting with
// "seccode-ok") and register.php (answers testServerChallenge for
// gt=testGeetestID, "fail" otherwise).
func newFakeGeetest(t *testing.T) *fakeProvider {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /validate.php", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sc := r.PostForm.Get("seccode")
		if strings.HasPrefix(sc, "seccode-ok") {
			fmt.Fprint(w, md5Hex(sc))
			return
		}
		fmt.Fprint(w, "false")
	})
	mux.HandleFunc("GET /register.php", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gt") != testGeetestID {
			fmt.Fprint(w, "fail")
			return
		}
		fmt.Fprint(w, testServerChallenge)
	})
	return newFake(t, mux.ServeHTTP)
}

func geetestConfig(base string) Config {
	return Config{
		Type: TypeGeetest, GeetestID: testGeetestID, GeetestKey: testGeetestKey,
		GeetestValidateURL: base + "/validate.php", GeetestRegisterURL: base + "/register.php",
	}
}

// validGeetest is a response a real widget would produce for challenge.
func validGeetest(challenge, seccode string) Response {
	return GeetestResponse(challenge, md5Hex(testGeetestKey+"geetest"+challenge), seccode)
}

func TestGeetestVerify(t *testing.T) {
	t.Parallel()
	challenge := md5Hex(testServerChallenge + testGeetestKey)

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		if err := v.Verify(context.Background(), validGeetest(challenge, testSeccode), "198.51.100.1"); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})

	t.Run("OKFromJSONAndForm", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		_, val, sc, _ := validGeetest(challenge, testSeccode).Geetest()
		fromJSON := mustParse(t, map[string]any{
			FieldGeetestChallenge: challenge, FieldGeetestValidate: val, FieldGeetestSeccode: sc, "extra": 1.0,
		})
		fromForm, err := ParseForm(map[string][]string{
			"captcha_response[geetest_challenge]": {challenge},
			"captcha_response[geetest_validate]":  {val},
			"captcha_response[geetest_seccode]":   {sc},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Response{fromJSON, fromForm} {
			if err := v.Verify(context.Background(), r, ""); err != nil {
				t.Fatalf("Verify(%v): %v", r, err)
			}
		}
	})

	t.Run("ErrRequired", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		for _, r := range []Response{{}, TokenResponse(""), TokenResponse("  "), mustParse(t, map[string]any{})} {
			wantKey(t, v.Verify(context.Background(), r, ""), ErrRequired)
		}
	})

	t.Run("ErrMandatoryFields", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		cases := []Response{
			TokenResponse("a-recaptcha-style-token"),
			mustParse(t, map[string]any{FieldGeetestChallenge: challenge, FieldGeetestValidate: "x"}),
			mustParse(t, map[string]any{FieldGeetestChallenge: challenge, FieldGeetestValidate: "x", FieldGeetestSeccode: 7.0}),
			mustParse(t, map[string]any{FieldGeetestChallenge: nil, FieldGeetestValidate: "x", FieldGeetestSeccode: "y"}),
			mustParse(t, map[string]any{"foo": "bar"}),
		}
		for _, r := range cases {
			wantKey(t, v.Verify(context.Background(), r, ""), ErrMandatoryFields)
		}
		if g.Calls() != 0 {
			t.Fatalf("GeeTest called %d times", g.Calls())
		}
	})

	t.Run("ErrVerificationFailedValidate", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		good := validGeetest(challenge, testSeccode)
		c, val, sc, _ := good.Geetest()
		for _, r := range []Response{
			GeetestResponse(c, strings.ToUpper(val), sc),
			GeetestResponse(c+"0", val, sc),
			GeetestResponse(c, "", sc),
			GeetestResponse(c, md5Hex("other-key"+"geetest"+c), sc),
		} {
			wantKey(t, v.Verify(context.Background(), r, ""), ErrVerificationFailed)
		}
		if g.Calls() != 0 {
			t.Fatalf("GeeTest called %d times for locally invalid responses", g.Calls())
		}
	})

	t.Run("ErrVerificationFailedSeccode", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		wantKey(t, v.Verify(context.Background(), validGeetest(challenge, "seccode-bad"), ""), ErrVerificationFailed)
		if g.Calls() != 1 {
			t.Fatalf("GeeTest called %d times, want 1", g.Calls())
		}
	})
}

// TestGeetestProviderFaults: GeeTest down, slow or answering nonsense is 422
// verification_failed.
func TestGeetestProviderFaults(t *testing.T) {
	t.Parallel()
	challenge := md5Hex(testServerChallenge + testGeetestKey)
	cases := map[string]struct {
		handler http.HandlerFunc // nil: nothing listens
		timeout time.Duration
	}{
		"ServerError": {handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, md5Hex(testSeccode))
		}},
		"EmptyBody": {handler: func(w http.ResponseWriter, r *http.Request) {}},
		"Down":      {},
		"Slow":      {handler: stall, timeout: 150 * time.Millisecond},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := deadURL(t)
			if tc.handler != nil {
				base = newFake(t, tc.handler).URL
			}
			cfg := geetestConfig(base)
			cfg.Timeout = tc.timeout
			v := mustNew(t, cfg, testLogger(t))
			err := v.Verify(context.Background(), validGeetest(challenge, testSeccode), "")
			wantKey(t, err, ErrVerificationFailed)
			if tc.timeout > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want deadline exceeded in chain", err)
			}
		})
	}
}

func TestGeetestRegister(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		g := newFakeGeetest(t)
		v := mustNew(t, geetestConfig(g.URL), testLogger(t))
		gt, ch := Register(context.Background(), v)
		if gt != testGeetestID || ch != md5Hex(testServerChallenge+testGeetestKey) {
			t.Fatalf("Register = (%q, %q)", gt, ch)
		}
		// The challenge handed out verifies end to end.
		if err := v.Verify(context.Background(), validGeetest(ch, testSeccode), ""); err != nil {
			t.Fatalf("Verify after Register: %v", err)
		}
	})

	t.Run("KeepsQueryOfConfiguredURL", func(t *testing.T) {
		t.Parallel()
		queries := make(chan string, 1)
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			queries <- r.URL.RawQuery
			fmt.Fprint(w, testServerChallenge)
		})
		cfg := geetestConfig(f.URL)
		cfg.GeetestRegisterURL = f.URL + "/register.php?new_captcha=1"
		_, ch := Register(context.Background(), mustNew(t, cfg, testLogger(t)))
		if got := <-queries; ch == "" || got != "gt="+testGeetestID+"&new_captcha=1" {
			t.Fatalf("challenge %q, query %q", ch, got)
		}
	})

	failures := map[string]http.HandlerFunc{
		"Fail":        func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fail") },
		"Zero":        func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "0") },
		"ServerError": func(w http.ResponseWriter, r *http.Request) { http.Error(w, testServerChallenge, 500) },
		"HugeBody": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(w, io.LimitReader(neverEnding('a'), 1<<20))
		},
		"Slow": stall,
		"Down": nil,
	}
	for name, h := range failures {
		t.Run("Err"+name, func(t *testing.T) {
			t.Parallel()
			base := deadURL(t)
			if h != nil {
				base = newFake(t, h).URL
			}
			cfg := geetestConfig(base)
			cfg.Timeout = 150 * time.Millisecond
			gt, ch := Register(context.Background(), mustNew(t, cfg, testLogger(t)))
			if gt != testGeetestID || ch != "" {
				t.Fatalf("Register = (%q, %q), want (%q, \"\")", gt, ch, testGeetestID)
			}
		})
	}

	t.Run("NotGeetest", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []Config{{Type: TypeNone}, recaptchaConfig(deadURL(t))} {
			gt, ch := Register(context.Background(), mustNew(t, cfg, testLogger(t)))
			if gt != "" || ch != "" {
				t.Fatalf("Register(%s) = (%q, %q)", cfg.Type, gt, ch)
			}
		}
	})
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// FuzzGeetestValidate: the local check accepts exactly md5_hex(key +
// "geetest" + challenge) and nothing else.
func FuzzGeetestValidate(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef", "")
	f.Add("", "x")
	f.Add("challenge", "9c9b3b1f2c8e0b0e0a5b9f1b8d0c5e4a")
	v := &geetest{key: testGeetestKey}
	f.Fuzz(func(t *testing.T, challenge, validate string) {
		want := md5Hex(testGeetestKey + "geetest" + challenge)
		if !v.validateMatches(challenge, want) {
			t.Fatalf("correct validate refused for %q", challenge)
		}
		if got := v.validateMatches(challenge, validate); got != (validate == want) {
			t.Fatalf("validateMatches(%q, %q) = %v", challenge, validate, got)
		}
	})
}
