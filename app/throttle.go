package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
)

// The sign-in throttle, as OWASP's authentication guidance and the major
// identity providers do it: failed attempts are limited per (account,
// client IP) and per IP, never per account alone, so nobody can lock an
// owner out by guessing from elsewhere. A client that signed in before
// carries a device cookie (HMAC-signed, bound to the account) and is
// limited on its own, past the account's limits; clients without one
// share a per-account limit, which a guess spread over many IPs still
// meets. A limit reached means growing delays (the client is told when
// to retry), not a lock, and nothing is ever slept: an attempt that must
// wait is refused at once with 429 and Retry-After.
//
// Attempts are counted when they start (Check), so parallel guesses meet
// the limit as sequential ones do; Succeed clears the counts of the
// client that signed in. Per-IP counts are of failures (Fail) only, so
// users behind one NAT do not use each other's allowance by signing in.

// ThrottleConfig limits sign-in attempts (BARONG_LOGIN_THROTTLE_*).
type ThrottleConfig struct {
	Enabled bool
	// MaxPerAccount is the attempts at one account from one client (one
	// IP without a device cookie, or one known device) before delays.
	MaxPerAccount int
	// MaxPerIP is the failed attempts from one IP, any accounts.
	MaxPerIP int
	// MaxUnknownDevices is the attempts at one account from all clients
	// without its device cookie, any IPs (0: MaxPerAccount·2).
	MaxUnknownDevices int
	// Window is how long counts last (from a scope's first attempt) and
	// the longest delay.
	Window time.Duration
	// Delay is the first delay once a limit is reached; it doubles with
	// every further attempt up to Window (0: 1 s).
	Delay time.Duration
	// DeviceKey signs device cookies (derived from the encryption key);
	// DeviceTTL is their lifetime (0: 180 days).
	DeviceKey []byte
	DeviceTTL time.Duration
}

// Attempt is one sign-in attempt.
type Attempt struct {
	// Account is what the client signs in as (the e-mail); it is only
	// stored hashed. "" while no account is named yet (a passkey sign-in
	// before its credential is looked up): the attempt meets the IP's
	// scope alone.
	Account string
	IP      string
	// Device is the device id of a valid device cookie of this account
	// (Throttle.Device), "" for an unknown client.
	Device string
}

// Verdict is what the throttle decided about an attempt.
type Verdict struct {
	// Refused: the attempt must wait RetryAfter (Check answers
	// ErrThrottled). Otherwise, when Scope is set, this attempt reached
	// Scope's limit and the next one waits RetryAfter.
	Refused    bool
	Scope      string
	RetryAfter time.Duration
}

// Throttle scopes, as they appear in logs and activities.
const (
	ScopeAccountIP     = "account_ip"      // one account from one IP, no device cookie
	ScopeAccountDevice = "account_device"  // one account from one known device
	ScopeAccount       = "account_unknown" // one account from every client without its device cookie
	ScopeIP            = "ip"              // failures from one IP
)

// Throttle decisions, as their security lines name them (decision).
const (
	// DecisionDelayed: this attempt brought a scope to its limit; the
	// scope's next attempt waits.
	DecisionDelayed = "delayed"
	// DecisionRefused: the attempt came while its scope waited (429).
	DecisionRefused = "refused"
)

// Throttle limits sign-in attempts on a KV store (shared by processes).
type Throttle struct {
	cfg ThrottleConfig
	kv  barong.KV
	log *slog.Logger
	now func() time.Time
}

// NewThrottle returns the throttle of cfg on kv.
func NewThrottle(cfg ThrottleConfig, kv barong.KV, log *slog.Logger, now func() time.Time) *Throttle {
	if cfg.MaxUnknownDevices <= 0 {
		cfg.MaxUnknownDevices = 2 * cfg.MaxPerAccount
	}
	if cfg.Delay <= 0 {
		cfg.Delay = time.Second
	}
	if cfg.DeviceTTL <= 0 {
		cfg.DeviceTTL = 180 * 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Throttle{cfg: cfg, kv: kv, log: log, now: now}
}

// scope is one counter an attempt meets.
type scope struct {
	name string
	key  string // counter; key+":wait" holds the time the next attempt may start
	max  int
	// reserve: counted by Check (every attempt); else by Fail (failures).
	reserve bool
}

func (t *Throttle) scopes(a Attempt) []scope {
	ip := scope{ScopeIP, "login:ip:" + a.IP, t.cfg.MaxPerIP, false}
	if noAccount(a) {
		return []scope{ip}
	}
	acct := accountHash(a.Account)
	if a.Device != "" {
		return []scope{{ScopeAccountDevice, "login:dev:" + a.Device, t.cfg.MaxPerAccount, true}}
	}
	return []scope{
		{ScopeAccountIP, "login:acct_ip:" + acct + ":" + a.IP, t.cfg.MaxPerAccount, true},
		{ScopeAccount, "login:acct:" + acct, t.cfg.MaxUnknownDevices, true},
		ip,
	}
}

// noAccount reports whether a names no account (the IP alone).
func noAccount(a Attempt) bool { return strings.TrimSpace(a.Account) == "" }

// accountHash keeps e-mails out of KV keys and logs.
func accountHash(account string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(account))))
	return hex.EncodeToString(sum[:16])
}

// ErrThrottled is Check's refusal: 429 identity.session.too_many_attempts
// with the time to wait.
func ErrThrottled(wait time.Duration) error {
	e := barong.TooMany(KeyLoginThrottled)
	e.RetryAfter = wait
	return e
}

// Check starts an attempt: it is refused (ErrThrottled) while one of its
// scopes waits, else counted. When the count reaches a scope's limit the
// scope's next attempt waits (the verdict tells how long); of attempts
// racing past a limit, one goes on and the others are refused.
func (t *Throttle) Check(ctx context.Context, a Attempt) (Verdict, error) {
	if !t.cfg.Enabled {
		return Verdict{}, nil
	}
	scopes := t.scopes(a)
	for _, sc := range scopes {
		if wait, err := t.waiting(ctx, sc); err != nil || wait > 0 {
			if err != nil {
				return Verdict{}, err
			}
			return t.refuse(ctx, a, sc, wait)
		}
	}
	return t.count(ctx, a, true)
}

// Fail records a failed attempt (wrong password or code) in the scopes
// that count failures; the verdict tells a delay it started.
func (t *Throttle) Fail(ctx context.Context, a Attempt) (Verdict, error) {
	if !t.cfg.Enabled {
		return Verdict{}, nil
	}
	return t.count(ctx, a, false)
}

// count adds the attempt to a's scopes that count at the start (atStart)
// or on failure. A scope brought to its limit makes its next attempt
// wait; at the start, an attempt that loses the race to start that wait
// is refused.
func (t *Throttle) count(ctx context.Context, a Attempt, atStart bool) (Verdict, error) {
	var v Verdict
	for _, sc := range t.scopes(a) {
		if sc.reserve != atStart || sc.max <= 0 {
			continue
		}
		n, err := t.kv.Incr(ctx, sc.key, t.cfg.Window)
		if err != nil {
			return Verdict{}, fmt.Errorf("count sign-in attempt: %w", err)
		}
		if n < int64(sc.max) {
			continue
		}
		d := t.delay(n - int64(sc.max))
		ok, err := t.kv.SetNX(ctx, sc.key+":wait", t.until(d), d)
		if err != nil {
			return Verdict{}, fmt.Errorf("delay sign-in attempts: %w", err)
		}
		if !ok { // a concurrent attempt started the wait
			if !atStart {
				continue
			}
			wait, err := t.waiting(ctx, sc)
			if err != nil {
				return Verdict{}, err
			}
			return t.refuse(ctx, a, sc, max(wait, time.Second))
		}
		t.logDecision(ctx, DecisionDelayed, a, sc.name, d, n)
		if d > v.RetryAfter {
			v = Verdict{Scope: sc.name, RetryAfter: d}
		}
	}
	return v, nil
}

// Succeed clears the counts of the client that signed in (its account
// from this IP, or its device) and takes its own attempt back from the
// per-account count of unknown devices, so that signing in successfully
// from many new browsers never slows the owner down; that count keeps
// the other clients' attempts, and the per-IP count of failures stays
// (an attempt without an account clears nothing).
func (t *Throttle) Succeed(ctx context.Context, a Attempt) error {
	if !t.cfg.Enabled || noAccount(a) {
		return nil
	}
	scopes := t.scopes(a)
	sc := scopes[0]
	for _, k := range []string{sc.key, sc.key + ":wait"} {
		if err := t.kv.Delete(ctx, k); err != nil {
			return fmt.Errorf("clear sign-in attempts: %w", err)
		}
	}
	for _, sc := range scopes[1:] {
		if sc.name == ScopeAccount && sc.max > 0 {
			if err := t.kv.Decr(ctx, sc.key); err != nil {
				return fmt.Errorf("give back sign-in attempt: %w", err)
			}
		}
	}
	return nil
}

// delay is the wait after the k-th attempt past a limit (k from 0):
// Delay·2^k, at most Window.
func (t *Throttle) delay(k int64) time.Duration {
	d := t.cfg.Delay
	for ; k > 0 && d < t.cfg.Window; k-- {
		d *= 2
	}
	return min(d, max(t.cfg.Window, t.cfg.Delay))
}

func (t *Throttle) until(d time.Duration) string {
	return strconv.FormatInt(t.now().Add(d).UnixMilli(), 10)
}

// waiting is how long sc's next attempt must still wait (0: none).
func (t *Throttle) waiting(ctx context.Context, sc scope) (time.Duration, error) {
	v, err := t.kv.Get(ctx, sc.key+":wait")
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read sign-in delay: %w", err)
	}
	ms, _ := strconv.ParseInt(v, 10, 64)
	return max(time.UnixMilli(ms).Sub(t.now()), 0), nil
}

func (t *Throttle) refuse(ctx context.Context, a Attempt, sc scope, wait time.Duration) (Verdict, error) {
	wait = wait.Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	t.logDecision(ctx, DecisionRefused, a, sc.name, wait, 0)
	return Verdict{Refused: true, Scope: sc.name, RetryAfter: wait}, ErrThrottled(wait)
}

// logDecision writes the security line of one decision (event
// login_throttled, decision "delayed" when an attempt brought a scope to
// its limit, "refused" when an attempt had to wait): the account as a
// short hash, never the e-mail, no secret. The request id comes with ctx.
func (t *Throttle) logDecision(ctx context.Context, decision string, a Attempt, scope string, wait time.Duration, n int64) {
	account := "" // none named yet
	if !noAccount(a) {
		account = accountHash(a.Account)[:12]
	}
	attrs := []slog.Attr{slog.String("decision", decision), slog.String("scope", scope), slog.String("ip", a.IP),
		slog.String("account", account), slog.Bool("known_device", a.Device != ""),
		slog.Int64("retry_after_s", int64((wait+time.Second-1)/time.Second))}
	if n > 0 {
		attrs = append(attrs, slog.Int64("attempts", n))
	}
	seclog.Log(ctx, t.log, seclog.LoginThrottled, attrs...)
}

// Device cookies: base64url(device id (16 bytes) || expiry (unix s, 8
// bytes) || HMAC-SHA256(DeviceKey, "barong-go device v1" || uid || id ||
// expiry)). Bound to the account's UID, which the cookie does not show.

const deviceIDLen, deviceLen = 16, 16 + 8 + sha256.Size

// Device returns the device id of cookie when it is a valid, unexpired
// device cookie of the account uid, else "".
func (t *Throttle) Device(cookie, uid string) string {
	// One encoding only (the decoder would skip CR and LF, and take any
	// final bits).
	if len(cookie) != base64.RawURLEncoding.EncodedLen(deviceLen) || len(t.cfg.DeviceKey) == 0 || uid == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(cookie)
	if err != nil || len(b) != deviceLen {
		return ""
	}
	id, exp := b[:deviceIDLen], b[deviceIDLen:deviceIDLen+8]
	if !hmac.Equal(b[deviceIDLen+8:], t.deviceMAC(uid, id, exp)) {
		return ""
	}
	if int64(binary.BigEndian.Uint64(exp)) <= t.now().Unix() {
		return ""
	}
	return hex.EncodeToString(id)
}

// IssueDevice returns a device cookie of the account uid valid for
// DeviceTTL, keeping the device id of current when that is a valid cookie
// of uid, and its lifetime ("" when device cookies are off).
func (t *Throttle) IssueDevice(uid, current string) (string, time.Duration) {
	if len(t.cfg.DeviceKey) == 0 || uid == "" {
		return "", 0
	}
	id := make([]byte, deviceIDLen)
	if h := t.Device(current, uid); h != "" {
		id, _ = hex.DecodeString(h)
	} else if _, err := rand.Read(id); err != nil {
		return "", 0
	}
	exp := binary.BigEndian.AppendUint64(nil, uint64(t.now().Add(t.cfg.DeviceTTL).Unix()))
	b := append(append(append(make([]byte, 0, deviceLen), id...), exp...), t.deviceMAC(uid, id, exp)...)
	return base64.RawURLEncoding.EncodeToString(b), t.cfg.DeviceTTL
}

func (t *Throttle) deviceMAC(uid string, id, exp []byte) []byte {
	m := hmac.New(sha256.New, t.cfg.DeviceKey)
	m.Write([]byte("barong-go device v1\x00"))
	m.Write([]byte(uid))
	m.Write([]byte{0})
	m.Write(id)
	m.Write(exp)
	return m.Sum(nil)
}
