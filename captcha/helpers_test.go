package captcha

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fakes expect. The tokens below must never reach a log.
const (
	testRecaptchaSecret = "recaptcha-secret-6LeIxAcTAAAAAGG"
	testRecaptchaToken  = "user-token-03AGdBq24PBCbwiDRaS_MJ7Z"
	testGeetestID       = "48a6ebac4ebc6642d68c217fca33eb4d"
	testGeetestKey      = "geetest-private-key-4f1c"
	testSeccode         = "seccode-ok-af0b|jordan"
)

// syncBuffer is a bytes.Buffer safe for a logger used from handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLogger logs everything at debug level and, when the test ends, fails
// it if any secret or user token appears in the log.
func testLogger(t *testing.T, secrets ...string) *slog.Logger {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		out := buf.String()
		for _, s := range append(secrets, testRecaptchaSecret, testRecaptchaToken, testGeetestKey, testSeccode) {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("log contains secret %q:\n%s", s, out)
			}
		}
	})
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fakeProvider is a local stand-in for Google or GeeTest that records how
// often it was called.
type fakeProvider struct {
	*httptest.Server
	mu    sync.Mutex
	calls int
}

func newFake(t *testing.T, h http.HandlerFunc) *fakeProvider {
	t.Helper()
	f := &fakeProvider{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls++
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProvider) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// deadURL returns the URL of a server that has been shut down, so that
// connecting to it is refused.
func deadURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// stall blocks a handler until the client gives up (or a safety limit). The
// body is read first: only then does net/http notice a closed connection.
func stall(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// wantKey asserts that err carries the *Error with key and status.
func wantKey(t *testing.T, err error, want *Error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", want.Key)
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %s", err, want.Key)
	}
	e := AsError(err)
	if e == nil || e.Key != want.Key || e.Status != want.Status {
		t.Fatalf("AsError(%v) = %+v, want %+v", err, e, want)
	}
}

func mustNew(t *testing.T, cfg Config, logger *slog.Logger) Verifier {
	t.Helper()
	v, err := New(cfg, nil, logger)
	if err != nil {
		t.Fatalf("New(%v): %v", cfg, err)
	}
	return v
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
