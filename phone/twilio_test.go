package phone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/barong-go/barong/phone"
)

const (
	testSID   = "AC0123456789abcdef"
	testToken = "tw-secret-token-42"
)

// fakeTwilio is a local stand-in for api.twilio.com and verify.twilio.com:
// it checks basic auth and records requests; failCode makes the next
// answers a Twilio error document with that code.
type fakeTwilio struct {
	mu       sync.Mutex
	reqs     []fakeReq
	failCode int
	status   string // VerificationCheck status
	services int
	srv      *httptest.Server
}

type fakeReq struct {
	Path string
	Form url.Values
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{status: "approved"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != testSID || pass != testToken || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":20003,"message":"Authenticate","status":401}`))
		return
	}
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, fakeReq{Path: r.URL.Path, Form: r.PostForm})
	w.Header().Set("Content-Type", "application/json")
	if f.failCode != 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code":%d,"message":"The 'To' number %s is not valid","status":400}`, f.failCode, r.PostForm.Get("To"))
		return
	}
	switch {
	case r.URL.Path == "/v2/Services":
		f.services++
		_, _ = w.Write([]byte(`{"sid":"VA-created"}`))
	case strings.HasSuffix(r.URL.Path, "/VerificationCheck"):
		_ = json.NewEncoder(w).Encode(map[string]string{"status": f.status})
	default:
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM1","status":"queued"}`))
	}
}

func (f *fakeTwilio) set(failCode int, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCode, f.status = failCode, status
}

func (f *fakeTwilio) last() fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newProvider(t *testing.T, f *fakeTwilio, cfg phone.Config, logs *bytes.Buffer) phone.Provider {
	t.Helper()
	cfg.AccountSID, cfg.AuthToken = testSID, testToken
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := phone.New(cfg, phone.WithBaseURL(f.srv.URL+"/"), phone.WithLogger(log), phone.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTwilioSMS(t *testing.T) {
	t.Parallel()
	f := newFakeTwilio(t)
	var logs bytes.Buffer
	p := newProvider(t, f, phone.Config{Mode: phone.ModeTwilioSMS, From: "+15005550000",
		Template: "Your verification code for Barong: {{code}}"}, &logs)
	ctx := context.Background()
	if err := p.Send(ctx, "380501234567", phone.ChannelCall, "40712"); err != nil {
		t.Fatal(err)
	}
	r := f.last()
	if r.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" || r.Form.Get("To") != "+380501234567" ||
		r.Form.Get("From") != "+15005550000" || r.Form.Get("Body") != "Your verification code for Barong: 40712" {
		t.Fatalf("request %+v", r)
	}
	for code, ok := range map[string]bool{"40712": true, "40713": false, "4071": false, "": false} {
		got, err := p.Verify(ctx, "380501234567", code, "40712")
		if err != nil || got != ok {
			t.Errorf("Verify(%q) = %v %v, want %v", code, got, err, ok)
		}
	}
	if ok, _ := p.Verify(ctx, "380501234567", "", ""); ok {
		t.Fatal("an empty stored code must never match")
	}
	checkErrors(t, f, func() error { return p.Send(ctx, "380501234567", "sms", "40712") })
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), "40712") ||
		strings.Contains(logs.String(), "380501234567") {
		t.Fatalf("logs leak the token, the code or the number:\n%s", logs.String())
	}
}

// checkErrors makes the fake fail with each Twilio code and checks the key.
func checkErrors(t *testing.T, f *fakeTwilio, call func() error) {
	t.Helper()
	for code, key := range map[int]string{21612: phone.KeyNotReachable, 21614: phone.KeyNotValid,
		21618: phone.KeyContentInvalid, 21610: phone.KeyUnsubscribed, 30007: phone.KeyTwilioUnexpected,
		20003: phone.KeyTwilioUnexpected} {
		f.set(code, "approved")
		err := call()
		var pe *phone.Error
		if !errors.As(err, &pe) || pe.Key != key || pe.Code != code || pe.Status != 400 {
			t.Errorf("code %d: %v, want %s", code, err, key)
		}
	}
	f.set(0, "approved")
}

func TestTwilioVerify(t *testing.T) {
	t.Parallel()
	f := newFakeTwilio(t)
	var logs bytes.Buffer
	p := newProvider(t, f, phone.Config{Mode: phone.ModeTwilioVerify, AppName: "Exchange"}, &logs)
	ctx := context.Background()
	if err := p.Send(ctx, "14155552671", phone.ChannelCall, "ignored"); err != nil {
		t.Fatal(err)
	}
	if f.reqs[0].Path != "/v2/Services" || f.reqs[0].Form.Get("FriendlyName") != "Exchange" {
		t.Fatalf("service not created first: %+v", f.reqs)
	}
	r := f.last()
	if r.Path != "/v2/Services/VA-created/Verifications" || r.Form.Get("To") != "+14155552671" || r.Form.Get("Channel") != "call" {
		t.Fatalf("request %+v", r)
	}
	ok, err := p.Verify(ctx, "14155552671", "123456", "")
	if err != nil || !ok {
		t.Fatalf("approved check: %v %v", ok, err)
	}
	if r := f.last(); r.Path != "/v2/Services/VA-created/VerificationCheck" || r.Form.Get("Code") != "123456" {
		t.Fatalf("check request %+v", r)
	}
	f.set(0, "pending")
	if ok, err := p.Verify(ctx, "14155552671", "000000", ""); err != nil || ok {
		t.Fatalf("pending check: %v %v", ok, err)
	}
	f.set(20404, "pending")
	if ok, err := p.Verify(ctx, "14155552671", "000000", ""); err != nil || ok {
		t.Fatalf("check without verification: %v %v", ok, err)
	}
	f.set(0, "approved")
	if f.services != 1 {
		t.Fatalf("service created %d times", f.services)
	}
	checkErrors(t, f, func() error { return p.Send(ctx, "14155552671", "sms", "") })
	checkErrors(t, f, func() error { _, err := p.Verify(ctx, "14155552671", "1", ""); return err })
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), "123456") {
		t.Fatalf("logs leak a secret:\n%s", logs.String())
	}
}

func TestTwilioVerifyConfiguredService(t *testing.T) {
	t.Parallel()
	f := newFakeTwilio(t)
	p := newProvider(t, f, phone.Config{Mode: phone.ModeTwilioVerify, ServiceSID: "VA-own"}, &bytes.Buffer{})
	if err := p.Send(context.Background(), "14155552671", "sms", ""); err != nil {
		t.Fatal(err)
	}
	if len(f.reqs) != 1 || f.reqs[0].Path != "/v2/Services/VA-own/Verifications" {
		t.Fatalf("requests %+v", f.reqs)
	}
}

func TestTwilioUnreachableAndBadAnswers(t *testing.T) {
	t.Parallel()
	f := newFakeTwilio(t)
	p := newProvider(t, f, phone.Config{Mode: phone.ModeTwilioVerify, ServiceSID: "VA1"}, &bytes.Buffer{})
	f.srv.Close()
	var pe *phone.Error
	if err := p.Send(context.Background(), "14155552671", "sms", ""); !errors.As(err, &pe) || pe.Key != phone.KeyTwilioUnexpected {
		t.Fatalf("unreachable: %v", err)
	}
	if strings.Contains(pe.Error(), testToken) {
		t.Fatal("error leaks the token")
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/VerificationCheck") {
			_, _ = w.Write([]byte(`not json`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`<html>oops</html>`))
	}))
	defer bad.Close()
	p, err := phone.New(phone.Config{Mode: phone.ModeTwilioVerify, ServiceSID: "VA1", AccountSID: testSID, AuthToken: testToken},
		phone.WithBaseURL(bad.URL))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(context.Background(), "14155552671", "sms", ""); !errors.As(err, &pe) || pe.Key != phone.KeyTwilioUnexpected || pe.Status != 500 {
		t.Fatalf("500 answer: %v", err)
	}
	if _, err := p.Verify(context.Background(), "14155552671", "1", ""); !errors.As(err, &pe) || pe.Key != phone.KeyTwilioUnexpected {
		t.Fatalf("bad json: %v", err)
	}
}

func TestNewAndMock(t *testing.T) {
	t.Parallel()
	if _, err := phone.New(phone.Config{Mode: "pigeon"}); err == nil {
		t.Fatal("unknown mode accepted")
	}
	if _, err := phone.New(phone.Config{Mode: phone.ModeTwilioSMS, AccountSID: "AC1"}); err == nil {
		t.Fatal("twilio without token accepted")
	}
	var logs bytes.Buffer
	p, err := phone.New(phone.Config{}, phone.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(context.Background(), "380501234567", "sms", "55555"); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Verify(context.Background(), "380501234567", "anything", "55555"); !ok || err != nil {
		t.Fatalf("mock verify %v %v", ok, err)
	}
	if !strings.Contains(logs.String(), "mock") || strings.Contains(logs.String(), "55555") || strings.Contains(logs.String(), "380501234567") {
		t.Fatalf("mock log %q", logs.String())
	}
}
