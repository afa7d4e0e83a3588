package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/kycaid"
	"github.com/barong-go/barong/phone"
	"github.com/barong-go/barong/storage"
	"github.com/barong-go/barong/token"
)

// Config holds the settings the rules need.
type Config struct {
	AppName       string
	Domain        string
	UIDPrefix     string
	SessionExpire time.Duration
	JWTExpire     time.Duration
	// FirstRegistrationSuperadmin lets a sign-up with a setup token become
	// the first superadmin (app/identity_setup.go); SetupTokenTTL is how long a
	// token stays valid (24 h when zero).
	FirstRegistrationSuperadmin bool
	SetupTokenTTL               time.Duration
	Rules                       barong.LabelRules
	// CaptchaProtected names the protected endpoints: user_create,
	// session_create, password_reset, email_confirmation.
	CaptchaProtected map[string]bool
	Throttle         ThrottleConfig
	Auth0            Auth0Config
	BcryptCost       int
	// MaskEventPII masks personal data in event payloads
	// (BARONG_EVENT_API_MASK_PII).
	MaskEventPII bool
	// UserStorageTitles are the data storage titles users may write
	// (barong.yml user_storage_titles).
	UserStorageTitles []string
	// Documents are the KYC document upload rules (app/kyc_documents.go).
	Documents DocumentRules
	// ProfileDoubleVerification (BARONG_PROFILE_DOUBLE_VERIFICATION) keeps
	// the author of a profile from verifying it unless his role is one of
	// ProfileVerificationRoles (barong.yml profile_verification_roles).
	ProfileDoubleVerification bool
	ProfileVerificationRoles  []string
	// KYCAID are the settings of the KYCAID flow (app/kyc_kycaid.go), used
	// when Deps.KYCAID is set.
	KYCAID KYCAIDConfig
	// WebAuthn is the relying party of passkeys (app/passkeys.go).
	WebAuthn WebAuthnConfig
	// Abilities are the admin abilities of each role (abilities.yml),
	// checked by the admin methods of the services.
	Abilities config.Abilities
	// ManagementScopes are the signers of each management scope
	// (management_api.yml), checked by the management methods.
	ManagementScopes map[string]config.ManagementScope
}

// Auth0Config verifies Auth0 ID tokens.
type Auth0Config struct {
	Domain   string
	ClientID string
	// JWKSURL defaults to https://<Domain>/.well-known/jwks.json.
	JWKSURL string
}

// PasswordPolicy checks new passwords (package password).
type PasswordPolicy interface {
	Check(pw string) []string
}

// Captcha verifies captcha responses (package captcha).
type Captcha interface {
	Verify(ctx context.Context, resp captcha.Response, remoteIP string) error
}

// Tokens issues and verifies Barong's one-time JWTs (package token).
type Tokens interface {
	IssueConfirmation(email, uid string, now time.Time, ttl time.Duration) (string, error)
	IssueReset(email, uid, resetToken string, now time.Time, ttl time.Duration) (string, error)
	// VerifyOneTime returns a *token.VerifyError for a bad token.
	VerifyOneTime(tok, wantSub string, now time.Time) (*token.OneTimeClaims, error)
}

// Deps are the outside parts the service works with.
type Deps struct {
	Store    barong.Store
	Sessions barong.SessionStore
	KV       barong.KV
	Tokens   Tokens
	Password PasswordPolicy
	Captcha  Captcha
	Logger   *slog.Logger
	Now      func() time.Time
	// Phone sends and checks phone codes (nil: the mock provider).
	Phone phone.Provider
	// Files stores uploaded documents.
	Files storage.Storage
	// KYCAID is the KYCAID client (BARONG_KYC_PROVIDER=kycaid); nil: the
	// local KYC flow.
	KYCAID *kycaid.Client
	// VaultTOTP checks the codes of users imported from Barong whose 2FA
	// secret stayed in Vault's TOTP engine; nil when Vault is not
	// configured (such users then get totp.error).
	VaultTOTP VaultTOTP
}

// VaultTOTP validates a code with a key of Vault's TOTP engine mounted at
// mount (vault.Client).
type VaultTOTP interface {
	ValidateTOTP(ctx context.Context, mount, name, code string) (bool, error)
}

// core is what every concept service shares: the settings, the stores,
// the outside parts and the helpers (transactions, activities, events).
// Each concept service embeds the one core of the Service.
type core struct {
	cfg      Config
	store    barong.Store
	sessions barong.SessionStore
	kv       barong.KV
	tokens   Tokens
	pw       PasswordPolicy
	captcha  Captcha
	log      *slog.Logger
	now      func() time.Time
	auth0    *jwksCache
	phone    phone.Provider
	files    storage.Storage
	kycaid   *kycaid.Client
	throttle *Throttle
	vault    VaultTOTP
	// failRecord is the time a failed sign-in's activity takes to record;
	// resetCost and confirmCost the time a password reset and a new
	// confirmation e-mail take for an account: unknown e-mails wait as
	// long (identity_signin.go).
	failRecord, resetCost, confirmCost *recordCost

	// svc is the composition, whose hooks (OnRestrictionsChanged,
	// OnPermissionsChanged) run after the commits that change the rules.
	svc *Service
}

// Service is the composition of the concept services that internal/server
// wires and the HTTP layer calls. Each concept service holds the methods
// of one concept for every API family (resource: the user himself, admin,
// management); every method that takes a barong.Actor checks it first
// (access_check.go). The process's own work (seeds, the first admin, the
// setup token, the KYCAID reconciler) stays on Service.
type Service struct {
	*core

	Identity        *Identity        // sign-up, sign-in, confirmation, password reset, Auth0
	Users           *Users           // users, their data, comments, roles
	Labels          *Labels          // labels, public and private
	KYC             *KYC             // profiles, documents, phones, KYCAID
	APIKeys         *APIKeys         // a user's API keys
	ServiceAccounts *ServiceAccounts // service accounts and their keys
	Sessions        *Sessions        // live sessions and their revocation
	OTP             *OTP             // two-factor authentication (TOTP)
	Passkeys        *Passkeys        // WebAuthn passkeys
	Access          *Access          // permissions, restrictions, levels, whitelinks
	Activities      *Activities      // activity records and metrics
	DataStorage     *DataStorage     // a user's data storages

	// OnRestrictionsChanged is called after a change of restrictions is
	// committed (authz caches listen).
	OnRestrictionsChanged func(ctx context.Context)
	// OnPermissionsChanged is called after a change of permissions is
	// committed (authz caches listen).
	OnPermissionsChanged func(ctx context.Context)
}

// The concept services; each shares the Service's core.
type (
	Identity        struct{ *core }
	Users           struct{ *core }
	Labels          struct{ *core }
	KYC             struct{ *core }
	APIKeys         struct{ *core }
	ServiceAccounts struct{ *core }
	Sessions        struct{ *core }
	OTP             struct{ *core }
	Passkeys        struct{ *core }
	Access          struct{ *core }
	Activities      struct{ *core }
	DataStorage     struct{ *core }
)

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 12
	}
	if cfg.SetupTokenTTL == 0 {
		cfg.SetupTokenTTL = 24 * time.Hour
	}
	c := &core{cfg: cfg, store: d.Store, sessions: d.Sessions, kv: d.KV, tokens: d.Tokens,
		pw: d.Password, captcha: d.Captcha, log: d.Logger, now: d.Now, auth0: newJWKSCache(cfg.Auth0),
		phone: d.Phone, files: d.Files, kycaid: d.KYCAID, throttle: NewThrottle(cfg.Throttle, d.KV, d.Logger, d.Now),
		vault: d.VaultTOTP, failRecord: &recordCost{sleep: sleepCtx},
		resetCost: &recordCost{sleep: sleepCtx}, confirmCost: &recordCost{sleep: sleepCtx}}
	s := &Service{core: c, Identity: &Identity{c}, Users: &Users{c}, Labels: &Labels{c}, KYC: &KYC{c},
		APIKeys: &APIKeys{c}, ServiceAccounts: &ServiceAccounts{c}, Sessions: &Sessions{c}, OTP: &OTP{c},
		Passkeys: &Passkeys{c}, Access: &Access{c}, Activities: &Activities{c}, DataStorage: &DataStorage{c}}
	c.svc = s
	return s
}

// Client describes the caller of a request: IP (reference §4.4), country
// (GeoIP, may be empty) and User-Agent.
type Client struct {
	IP        string
	Country   string
	UserAgent string
}

// txn is a transaction plus work to run after it commits (sessions and
// Redis are never written inside the SQL transaction).
type txn struct {
	barong.Tx
	after []func(ctx context.Context)
}

// profilesLocked reads the user's profiles under the user's row lock: the
// one-open-profile check and the write after it see every profile committed
// before, and a concurrent creation waits for this transaction.
func (tx *txn) profilesLocked(ctx context.Context, userID int64) ([]barong.Profile, error) {
	if _, err := tx.LockUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("lock user %d: %w", userID, err)
	}
	ps, err := tx.ProfilesByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("profiles of user %d: %w", userID, err)
	}
	return ps, nil
}

// lockUser takes u's row lock and reloads *u from the locked row, so that
// what the transaction derives from u and his records (state and level
// from labels) starts from the latest committed state and is not
// interleaved with another transaction's change of the same user.
func (tx *txn) lockUser(ctx context.Context, u *barong.User) error {
	cur, err := tx.LockUser(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("lock user %d: %w", u.ID, err)
	}
	*u = *cur
	return nil
}

// inTx runs fn in one transaction and then its after-commit actions. The
// store runs fn again when the transaction meets a deadlock or a
// serialization failure: fn must start over from its inputs on every
// attempt (copy what it changes, reset what it assigns outside) and leave
// every effect outside the database to tx.after, which only the committed
// attempt's actions reach.
func (s *core) inTx(ctx context.Context, fn func(tx *txn) error) error {
	var t *txn
	err := s.store.InTx(ctx, func(tx barong.Tx) error {
		t = &txn{Tx: tx}
		return fn(t)
	})
	if err != nil {
		return err
	}
	for _, f := range t.after {
		f(ctx)
	}
	return nil
}

// record writes an activity in tx (reference §6.0).
func (s *core) record(ctx context.Context, tx barong.Tx, userID int64, c Client, topic, action, result, reason string) error {
	a := &barong.Activity{UserID: userID, Category: barong.CategoryUser, UserIP: c.IP,
		UserIPCountry: c.Country, UserAgent: c.UserAgent, Topic: topic, Action: action, Result: result}
	if reason != "" {
		a.Data = jsonString(struct {
			Reason string `json:"reason"`
		}{reason})
	}
	if err := tx.CreateActivity(ctx, a); err != nil {
		return fmt.Errorf("record activity %s/%s: %w", topic, action, err)
	}
	return nil
}

// recordAlone writes an activity in its own transaction (failure paths,
// whose other writes are not kept).
func (s *core) recordAlone(ctx context.Context, userID int64, c Client, topic, action, result, reason string) {
	err := s.store.InTx(ctx, func(tx barong.Tx) error {
		return s.record(ctx, tx, userID, c, topic, action, result, reason)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "record activity", slog.Any("error", err))
	}
}
