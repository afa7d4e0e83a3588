package captcha

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Values of BARONG_CAPTCHA.
const (
	TypeNone      = "none"
	TypeRecaptcha = "recaptcha"
	TypeGeetest   = "geetest"
)

// Default provider endpoints and timeout.
const (
	DefaultSiteverifyURL      = "https://www.google.com/recaptcha/api/siteverify"
	DefaultGeetestValidateURL = "http://api.geetest.com/validate.php"
	DefaultGeetestRegisterURL = "http://api.geetest.com/register.php"
	DefaultTimeout            = 10 * time.Second
)

// maxBody bounds what is read from a provider's answer.
const maxBody = 64 << 10

// Config selects and configures the captcha provider (reference §2.2).
// RecaptchaSecret and GeetestKey are secrets; Config redacts them when
// printed or logged.
type Config struct {
	Type             string // BARONG_CAPTCHA: none (also ""), recaptcha, geetest
	RecaptchaSecret  string // BARONG_RECAPTCHA_SECRET_KEY
	RecaptchaSiteKey string // BARONG_RECAPTCHA_SITE_KEY (public; shown in /configs)
	GeetestID        string // BARONG_GEETEST_ID (public; returned as gt)
	GeetestKey       string // BARONG_GEETEST_KEY

	// Provider endpoints; empty means the Default*URL constants. Tests point
	// them at local fakes.
	SiteverifyURL      string
	GeetestValidateURL string
	GeetestRegisterURL string

	// Timeout bounds each call to a provider; 0 means DefaultTimeout.
	Timeout time.Duration
}

// String prints the configuration with secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("captcha.Config{Type:%q RecaptchaSiteKey:%q RecaptchaSecret:%s GeetestID:%q GeetestKey:%s}",
		c.Type, c.RecaptchaSiteKey, redact(c.RecaptchaSecret), c.GeetestID, redact(c.GeetestKey))
}

// GoString is String, so %#v cannot print the secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration with secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", c.Type),
		slog.String("recaptcha_site_key", c.RecaptchaSiteKey),
		slog.String("recaptcha_secret", redact(c.RecaptchaSecret)),
		slog.String("geetest_id", c.GeetestID),
		slog.String("geetest_key", redact(c.GeetestKey)),
	)
}

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// Verifier checks a captcha response. Verify returns nil when the response is
// accepted; otherwise an error wrapping ErrRequired, ErrMandatoryFields or
// ErrVerificationFailed (see *Error). remoteIP is the client's address; it
// may be empty.
type Verifier interface {
	Verify(ctx context.Context, resp Response, remoteIP string) error
}

// Registrar is implemented by verifiers whose widget needs a server-issued
// challenge first (GeeTest; reference §6.2.6).
type Registrar interface {
	// Register returns the GeeTest id (gt) and a fresh challenge. On any
	// failure the challenge is "" (the failure is logged).
	Register(ctx context.Context) (gt, challenge string)
}

// Register answers GET /identity/users/register_geetest for any Verifier: a
// Registrar's Register, or ("", "") when the configured provider is not
// GeeTest. The endpoint responds 200 {"gt":gt,"challenge":challenge}.
func Register(ctx context.Context, v Verifier) (gt, challenge string) {
	if r, ok := v.(Registrar); ok {
		return r.Register(ctx)
	}
	return "", ""
}

// New returns the Verifier for cfg.Type. client is used for provider calls
// (nil: a client with a DefaultTimeout timeout); logger receives provider
// failures (nil: discarded). An unknown type, a missing credential or an
// unusable endpoint URL is an error naming the variable.
func New(cfg Config, client *http.Client, logger *slog.Logger) (Verifier, error) {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	p := provider{client: client, timeout: cfg.Timeout}
	switch cfg.Type {
	case TypeNone, "":
		return none{}, nil
	case TypeRecaptcha:
		if cfg.RecaptchaSecret == "" {
			return nil, fmt.Errorf("BARONG_RECAPTCHA_SECRET_KEY is required when BARONG_CAPTCHA=%s", TypeRecaptcha)
		}
		u, err := endpoint("siteverify", cfg.SiteverifyURL, DefaultSiteverifyURL)
		if err != nil {
			return nil, err
		}
		return &recaptcha{provider: p, secret: cfg.RecaptchaSecret, siteverify: u,
			log: logger.With("captcha", TypeRecaptcha)}, nil
	case TypeGeetest:
		if cfg.GeetestID == "" || cfg.GeetestKey == "" {
			return nil, fmt.Errorf("BARONG_GEETEST_ID and BARONG_GEETEST_KEY are required when BARONG_CAPTCHA=%s", TypeGeetest)
		}
		validate, err := endpoint("GeeTest validate", cfg.GeetestValidateURL, DefaultGeetestValidateURL)
		if err != nil {
			return nil, err
		}
		register, err := endpoint("GeeTest register", cfg.GeetestRegisterURL, DefaultGeetestRegisterURL)
		if err != nil {
			return nil, err
		}
		return &geetest{provider: p, id: cfg.GeetestID, key: cfg.GeetestKey,
			validateURL: validate, registerURL: register,
			log: logger.With("captcha", TypeGeetest)}, nil
	default:
		return nil, fmt.Errorf("BARONG_CAPTCHA invalid, enabled values: [%q, %q, %q] (got %q)",
			TypeNone, TypeRecaptcha, TypeGeetest, cfg.Type)
	}
}

func endpoint(what, raw, def string) (string, error) {
	if raw == "" {
		return def, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("captcha: %s URL: %w", what, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("captcha: %s URL %q is not an absolute http(s) URL", what, raw)
	}
	return raw, nil
}

// none accepts every response (BARONG_CAPTCHA=none).
type none struct{}

func (none) Verify(context.Context, Response, string) error { return nil }

var (
	_ Verifier  = none{}
	_ Verifier  = (*recaptcha)(nil)
	_ Verifier  = (*geetest)(nil)
	_ Registrar = (*geetest)(nil)
)

// provider is the HTTP plumbing shared by the providers.
type provider struct {
	client  *http.Client
	timeout time.Duration
}

// do sends req bounded by the provider timeout and returns the status and at
// most maxBody bytes of the body.
func (p provider) do(ctx context.Context, method, target string, form url.Values) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "*/*")
	res, err := p.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, stripQuery(target), unwrapURLError(err))
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("read %s answer: %w", stripQuery(target), err)
	}
	return res.StatusCode, b, nil
}

// unwrapURLError drops *url.Error's copy of the URL: the message already
// names the endpoint without its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func stripQuery(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i]
	}
	return target
}

// md5Hex is the lowercase hex MD5 that the GeeTest protocol is built on.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// equal compares two strings in constant time (for equal lengths).
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
