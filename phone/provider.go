package phone

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Verification channels (reference §3.2).
const (
	ChannelSMS  = "sms"
	ChannelCall = "call"
)

// Provider modes (BARONG_PHONE_VERIFICATION).
const (
	ModeMock         = "mock"
	ModeTwilioSMS    = "twilio_sms"
	ModeTwilioVerify = "twilio_verify"
)

// Provider sends verification codes to numbers and checks codes. Numbers
// are E.164 digits without '+'. Failures are *Error values.
type Provider interface {
	// Send delivers a code to number over channel. Providers that make
	// their own codes (Twilio Verify) ignore code.
	Send(ctx context.Context, number, channel, code string) error
	// Verify reports whether code is right for number; storedCode is the
	// code the caller generated and sent.
	Verify(ctx context.Context, number, code, storedCode string) (bool, error)
}

// Error keys of provider failures (reference §6.3.5).
const (
	KeyNotReachable      = "resource.phone.num_not_reachable"
	KeyNotValid          = "resource.phone.num_not_valid"
	KeyContentInvalid    = "resource.phone.sms_content_invalid"
	KeyUnsubscribed      = "resource.phone.unsubscribed_recipient"
	KeyTwilioUnexpected  = "resource.phone.twilio_unexpected"
	twilioNotFoundCode   = 20404
	defaultTwilioAPI     = "https://api.twilio.com"
	defaultTwilioVerify  = "https://verify.twilio.com"
	defaultTwilioTimeout = 15 * time.Second
)

// twilioKeys maps Twilio REST error codes to Barong's keys.
var twilioKeys = map[int]string{
	21612: KeyNotReachable,
	21614: KeyNotValid,
	21618: KeyContentInvalid,
	21610: KeyUnsubscribed,
}

// Error is a provider failure. Key is Barong's error key, answered with 422;
// Code is the Twilio error code (0 when the request did not get an answer).
type Error struct {
	Key    string
	Code   int
	Status int
	Err    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("phone provider: %s (twilio code %d, status %d)", e.Key, e.Code, e.Status)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// twilioError builds the Error of a Twilio answer.
func twilioError(code, status int, cause error) *Error {
	key, ok := twilioKeys[code]
	if !ok {
		key = KeyTwilioUnexpected
	}
	return &Error{Key: key, Code: code, Status: status, Err: cause}
}

// Config selects and configures the provider.
type Config struct {
	Mode       string // mock (default), twilio_sms, twilio_verify
	AccountSID string
	AuthToken  string // secret: never logged
	// ServiceSID is the Twilio Verify service; when empty, one named
	// AppName is created on first use (as Barong does at boot).
	ServiceSID string
	From       string // sender number of twilio_sms
	// Template is the SMS body; {{code}} is replaced by the code.
	Template string
	AppName  string
}

// Option adjusts a provider built by New.
type Option func(*options)

type options struct {
	apiURL, verifyURL string
	client            *http.Client
	log               *slog.Logger
}

// WithBaseURL sends every Twilio request (Messages and Verify) to base
// instead of https://api.twilio.com and https://verify.twilio.com; tests
// point it at a local fake.
func WithBaseURL(base string) Option {
	return func(o *options) {
		if base = strings.TrimRight(base, "/"); base != "" {
			o.apiURL, o.verifyURL = base, base
		}
	}
}

// WithHTTPClient sets the HTTP client of Twilio requests.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New builds the provider of cfg.Mode.
func New(cfg Config, opts ...Option) (Provider, error) {
	o := options{apiURL: defaultTwilioAPI, verifyURL: defaultTwilioVerify,
		client: &http.Client{Timeout: defaultTwilioTimeout}, log: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(&o)
	}
	switch cfg.Mode {
	case "", ModeMock:
		return NewMock(o.log), nil
	case ModeTwilioSMS, ModeTwilioVerify:
		if cfg.AccountSID == "" || cfg.AuthToken == "" {
			return nil, fmt.Errorf("phone: %s needs the Twilio account SID and auth token", cfg.Mode)
		}
		c := &twilioClient{sid: cfg.AccountSID, token: cfg.AuthToken, http: o.client, log: o.log}
		if cfg.Mode == ModeTwilioSMS {
			return &TwilioSMS{c: c, base: o.apiURL, from: cfg.From, template: cfg.Template}, nil
		}
		return &TwilioVerify{c: c, base: o.verifyURL, serviceSID: cfg.ServiceSID, appName: cfg.AppName}, nil
	}
	return nil, fmt.Errorf("phone: unknown verification mode %q", cfg.Mode)
}

// Mock is the development provider: it sends nothing and accepts any code
// (reference §6.3.5); the caller has already checked that the number is
// the user's.
type Mock struct{ log *slog.Logger }

// NewMock returns the mock provider; log may be nil.
func NewMock(log *slog.Logger) *Mock {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mock{log: log}
}

// Send logs (at debug, without the code) that a code would be sent.
func (m *Mock) Send(ctx context.Context, number, channel, _ string) error {
	m.log.DebugContext(ctx, "phone code not sent (mock provider)", slog.String("number", Mask(number)),
		slog.String("channel", channel))
	return nil
}

// Verify accepts any code.
func (m *Mock) Verify(context.Context, string, string, string) (bool, error) { return true, nil }
