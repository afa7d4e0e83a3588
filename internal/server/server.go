// Package server wires barong-go together: it turns a config.Config into
// the stores, the services, the HTTP handler and the outbox relay, for
// `barong serve` and for end-to-end tests.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/amqp"
	"github.com/barong-go/barong/api"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/captcha"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/extauthz"
	"github.com/barong-go/barong/geoip"
	"github.com/barong-go/barong/kycaid"
	"github.com/barong-go/barong/mail"
	"github.com/barong-go/barong/password"
	"github.com/barong-go/barong/redisstore"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/storage"
	"github.com/barong-go/barong/token"
	"github.com/barong-go/barong/vault"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// BcryptCost is the cost of new password hashes: 12, as Barong in
// production. Tests lower it.
var BcryptCost = 12

// WrapStore, when set, wraps the store the rules write through (tests use
// it to make every transaction fail its first attempt, which checks that
// every transaction is safe to run again).
var WrapStore func(barong.Store) barong.Store

// Server is a running barong-go: stores, services, HTTP handler, relay.
type Server struct {
	Config *config.Config
	DB     *sqlstore.DB
	Redis  *redisstore.Client
	App    *app.Service
	// Store is the store the rules write through (the database behind the
	// principals' cache and WrapStore), for tools and tests.
	Store   barong.Store
	Authz   *authz.Engine
	Geo     *geoip.DB
	Keys    *token.Keyring
	Handler http.Handler
	// Gateway answers Envoy's gRPC ext_authz (ServeGRPC) and Traefik's
	// forwardAuth (mounted in Handler).
	Gateway *extauthz.Service
	Log     *slog.Logger
	// Hashing is how the process hashes passwords (its threads, their
	// scheduling class, the GOMAXPROCS they run with).
	Hashing app.HashingSetup
	// KYCAIDInterval is how often Start's KYCAID reconciler polls for work
	// (BARONG_KYC_PROVIDER=kycaid); 5 s, tests shorten it.
	KYCAIDInterval time.Duration

	publisher *amqp.Publisher
	relay     *app.Relay
	vault     *vault.Client // nil unless BARONG_VAULT_TOKEN is set
	uploads   http.Handler  // signed links of the local storage, or nil
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// OpenDB opens the database of cfg for tools (migrate, scripts): with the
// encryption key when its file exists, else without one (encrypted
// columns then fail). It never generates a key; Open settles the keys.
func OpenDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*sqlstore.DB, error) {
	key, err := crypt.LoadKey(cfg.EncryptionKeyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return openDB(ctx, cfg, nil, log)
	}
	if err != nil {
		return nil, fmt.Errorf("BARONG_ENCRYPTION_KEY_PATH: %w", err)
	}
	return openDB(ctx, cfg, key, log)
}

func openDB(ctx context.Context, cfg *config.Config, key []byte, log *slog.Logger) (*sqlstore.DB, error) {
	opts := sqlstore.Options{CRC32Salt: cfg.CRC32Salt, Logger: log}
	if key != nil {
		cipher, err := crypt.New(key)
		if err != nil {
			return nil, fmt.Errorf("BARONG_ENCRYPTION_KEY_PATH: %w", err)
		}
		opts.Cipher = cipher
	}
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// Open builds the server from cfg: opens the database (migrating and seeding
// unless AutoMigrate is off), Redis and the publisher when configured.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	s := &Server{Config: cfg, Log: log}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	keys, err := ReadKeys(cfg)
	if err != nil {
		return nil, err
	}
	if s.Keys, err = keys.Keyring(); err != nil {
		return nil, err
	}
	if s.DB, err = openDB(ctx, cfg, keys.Encryption, log); err != nil {
		return nil, err
	}
	if cfg.AutoMigrate {
		if err := s.DB.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	if err := SettleKeys(ctx, s.DB, cfg, keys, log); err != nil {
		return nil, err
	}
	var sessions barong.SessionStore = s.DB
	var kv barong.KV = s.DB
	// principals is where authz reads callers: kept in process memory and
	// dropped on the changes of any process, which reach it by Redis
	// pub/sub, or without Redis through the database. store is what the
	// rules write through: it reports every change of a user, a service
	// account or an API key to that feed.
	var principals interface {
		authz.Principals
		Wrap(barong.Store) barong.Store
	} = s.DB.Principals(0)
	if cfg.RedisURL != "" {
		if s.Redis, err = redisstore.Open(ctx, cfg.RedisURL, log); err != nil {
			return nil, fmt.Errorf("BARONG_REDIS_URL: %w", err)
		}
		sessions, kv = s.Redis.Sessions(cfg.RedisPrefix), s.Redis.KV(cfg.RedisPrefix)
		principals = s.Redis.Principals(cfg.RedisPrefix, 0)
	}
	store := principals.Wrap(s.DB)
	if WrapStore != nil {
		store = WrapStore(store)
	}
	policy, err := password.NewPolicy(cfg.PasswordRegexp, cfg.PasswordMinEntropy, cfg.PasswordUseDictionary)
	if err != nil {
		return nil, fmt.Errorf("BARONG_PASSWORD_REGEXP: %w", err)
	}
	verifier, err := captchaVerifier(cfg, log)
	if err != nil {
		return nil, err
	}
	phones, files, err := openKYC(cfg, keys.Encryption, log)
	if err != nil {
		return nil, err
	}
	if l, ok := files.(*storage.Local); ok {
		s.uploads = l
	}
	var kyc *kycaid.Client
	if cfg.KYCProvider == "kycaid" {
		if kyc, err = kycaid.New(cfg.KYCAIDAPIEndpoint, cfg.KYCAIDAuthorizationToken, cfg.KYCAIDSandboxMode, nil); err != nil {
			return nil, fmt.Errorf("BARONG_KYCAID_API_ENDPOINT: %w", err)
		}
	}
	s.KYCAIDInterval = 5 * time.Second
	if s.vault, err = openVault(ctx, cfg, s.DB, log); err != nil {
		return nil, err
	}
	var vaultTOTP app.VaultTOTP
	if s.vault != nil {
		vaultTOTP = s.vault
	}
	// The process's password hashing threads, before the first hash
	// (EnsureAdmin below): the first Open of the process starts them.
	s.Hashing = app.StartPasswordHashing(cfg.BcryptWorkers)
	acfg := appConfig(cfg)
	// Device cookies of the sign-in throttle are signed with a key derived
	// from the encryption key, as the upload links are (kyc.go).
	acfg.Throttle.DeviceKey = deriveKey(keys.Encryption, "barong-go login device cookies")
	s.Store = store
	s.App = app.New(acfg, app.Deps{Store: store, Sessions: sessions, KV: kv, Tokens: s.Keys,
		Password: policy, Captcha: verifier, Logger: log, Phone: phones, Files: files, KYCAID: kyc, VaultTOTP: vaultTOTP})
	if cfg.AutoMigrate {
		if err := s.applySeeds(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.AdminEmail != "" && cfg.AdminPassword != "" {
		if err := s.App.EnsureAdmin(ctx, barong.SystemActor("admin from the environment"), cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return nil, err
		}
	}
	if s.Geo, err = geoip.Open(cfg.MaxMindDBPath, cfg.GeoIPLang, log); err != nil {
		return nil, fmt.Errorf("BARONG_MAXMINDDB_PATH: %w", err)
	}
	s.Authz = authz.New(authz.Config{CSRFProtection: cfg.CSRFProtection, SessionExpire: cfg.SessionExpireTime,
		NonceLifetime: cfg.APIKeyNonceLifetime, JWTExpire: cfg.JWTExpireTime, TokenCache: cfg.AuthzTokenCache,
		Pass: cfg.AuthzRules.Pass, Block: cfg.AuthzRules.Block}, s.DB, sessions, kv, s.Keys, s.Geo, log)
	s.Authz.UsePrincipals(principals)
	if err := s.Authz.Reload(ctx); err != nil {
		return nil, fmt.Errorf("load authz snapshot: %w", err)
	}
	s.App.OnRestrictionsChanged = func(ctx context.Context) {
		if err := s.Authz.Reload(ctx); err != nil {
			log.WarnContext(ctx, "reload authz snapshot", slog.Any("error", err))
		}
	}
	s.App.OnPermissionsChanged = s.App.OnRestrictionsChanged
	if err := s.openRelay(log); err != nil {
		return nil, err
	}
	s.Handler = s.handler(policy, verifier, sessions)
	s.Gateway = s.gateway()
	s.Handler = s.Gateway.Mount(s.Handler)
	ok = true
	return s, nil
}

// captchaVerifier is the captcha provider of cfg.
func captchaVerifier(cfg *config.Config, log *slog.Logger) (captcha.Verifier, error) {
	ccfg := captcha.Config{Type: cfg.Captcha, RecaptchaSecret: cfg.RecaptchaSecretKey,
		RecaptchaSiteKey: cfg.RecaptchaSiteKey, GeetestID: cfg.GeetestID, GeetestKey: cfg.GeetestKey,
		SiteverifyURL: cfg.RecaptchaVerifyURL}
	if base := strings.TrimRight(cfg.GeetestAPIURL, "/"); base != "" {
		ccfg.GeetestValidateURL, ccfg.GeetestRegisterURL = base+"/validate.php", base+"/register.php"
	}
	v, err := captcha.New(ccfg, nil, log)
	if err != nil {
		return nil, fmt.Errorf("BARONG_CAPTCHA: %w", err)
	}
	return v, nil
}

func appConfig(cfg *config.Config) app.Config {
	rules := barong.LabelRules{PrivateTriggersOnly: true}
	for _, kv := range cfg.App.ActivationRequirements {
		rules.ActivationRequirements = append(rules.ActivationRequirements, barong.KeyValue{Key: kv.Key, Value: kv.Value})
	}
	for _, t := range cfg.App.StateTriggers {
		rules.StateTriggers = append(rules.StateTriggers, barong.StateTrigger{State: t.State, Keys: t.Keys})
	}
	protected := map[string]bool{}
	for _, e := range cfg.App.CaptchaProtectedEndpoints {
		protected[e] = true
	}
	return app.Config{
		AppName: cfg.AppName, Domain: cfg.Domain, UIDPrefix: cfg.UIDPrefix,
		ProfileDoubleVerification: cfg.ProfileDoubleVerification, ProfileVerificationRoles: cfg.App.ProfileVerificationRoles,
		SessionExpire: cfg.SessionExpireTime, JWTExpire: cfg.JWTExpireTime,
		FirstRegistrationSuperadmin: cfg.FirstRegistrationSuperadmin,
		Abilities:                   cfg.Abilities, ManagementScopes: cfg.ManagementAPI.Scopes,
		Rules: rules, CaptchaProtected: protected, UserStorageTitles: cfg.App.UserStorageTitles,
		Throttle: app.ThrottleConfig{Enabled: cfg.LoginThrottleEnabled, MaxPerAccount: cfg.LoginThrottleMaxAttempts,
			MaxPerIP: cfg.LoginThrottleIPMaxAttempts, MaxUnknownDevices: cfg.LoginThrottleAccountMaxAttempts,
			Window: cfg.LoginThrottleWindow, Delay: cfg.LoginThrottleDelay},
		Auth0:        app.Auth0Config{Domain: cfg.Auth0Domain, ClientID: cfg.Auth0ClientID, JWKSURL: cfg.Auth0JWKSURL},
		MaskEventPII: cfg.EventAPIMaskPII,
		Documents:    documentRules(cfg),
		KYCAID: app.KYCAIDConfig{FormID: cfg.KYCAIDFormID,
			CallbackURL: strings.TrimRight(cfg.Domain, "/") + "/api/v2/barong/public/kyc"},
		BcryptCost: BcryptCost,
		WebAuthn:   app.NewWebAuthnConfig(cfg.Domain, cfg.AppName, cfg.WebAuthnOrigins),
	}
}

// openRelay sets up the outbox relay: RabbitMQ (when configured) must take
// each event; the mailer gets each one best-effort.
func (s *Server) openRelay(log *slog.Logger) error {
	cfg := s.Config
	mailer, err := mail.New(mail.Config{SMTPURL: cfg.SMTPURL, SenderEmail: cfg.SenderEmail, SenderName: cfg.SenderName,
		LogoLink: cfg.SMTPLogoLink, Domain: cfg.Domain, DefaultLanguage: cfg.DefaultLanguage,
		UserLanguage: s.userLanguage}, log)
	if err != nil {
		return fmt.Errorf("mailer: %w", err)
	}
	s.relay = &app.Relay{Outbox: s.DB, Logger: log, BestEffort: []app.Sink{mailSink{mailer}}}
	if cfg.RabbitMQURL != "" {
		s.publisher = amqp.New(cfg.RabbitMQURL, log)
		s.relay.Required = []app.Sink{amqpSink{pub: s.publisher, keys: s.Keys}}
	}
	return nil
}

// userLanguage reads the "language" of a user's data JSON, for e-mails.
func (s *Server) userLanguage(ctx context.Context, uid string) (string, error) {
	u, err := s.DB.UserByUID(ctx, uid)
	if errors.Is(err, barong.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load user language: %w", err)
	}
	var data struct {
		Language string `json:"language"`
	}
	if u.Data != "" {
		_ = json.Unmarshal([]byte(u.Data), &data)
	}
	return data.Language, nil
}

type mailSink struct{ m *mail.Mailer }

func (m mailSink) Deliver(ctx context.Context, ev barong.OutboxEvent) error {
	return m.m.Handle(ctx, ev.Name, json.RawMessage(ev.Body))
}

type amqpSink struct {
	pub  *amqp.Publisher
	keys *token.Keyring
}

func (a amqpSink) Deliver(ctx context.Context, ev barong.OutboxEvent) error {
	_, err := a.DeliverBatch(ctx, []barong.OutboxEvent{ev})
	return err
}

// DeliverBatch signs the events and publishes them with their confirms in
// flight together (up to the first that cannot be signed).
func (a amqpSink) DeliverBatch(ctx context.Context, evs []barong.OutboxEvent) (int, error) {
	msgs := make([]amqp.Message, 0, len(evs))
	now := time.Now()
	var signErr error
	for _, ev := range evs {
		body, err := a.keys.SignEvent(json.RawMessage(ev.Body), now)
		if err != nil {
			signErr = fmt.Errorf("sign event %s: %w", ev.Name, err)
			break
		}
		msgs = append(msgs, amqp.Message{Name: ev.Name, Body: body})
	}
	n, err := a.pub.PublishBatch(ctx, msgs)
	if err == nil {
		err = signErr
	}
	return n, err
}

// handler builds the HTTP handler.
func (s *Server) handler(policy *password.Policy, verifier captcha.Verifier, sessions barong.SessionStore) http.Handler {
	cfg := s.Config
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	if s.Redis != nil {
		registerNonceMetrics(reg, s.Redis, cfg.RedisPrefix)
	}
	var geetest api.Geetest
	if g, ok := verifier.(captcha.Registrar); ok {
		geetest = g
	}
	h := api.New(api.Config{
		SessionName: cfg.SessionName, SessionExpire: cfg.SessionExpireTime, Gateway: cfg.Gateway,
		TrustedProxies: cfg.TrustedProxies, MaxUploadBytes: int64(cfg.UploadSizeMaxRange) << 20,
		Masking: cfg.APIDataMaskingEnabled, CORSOrigins: cfg.CORSOrigins, CORSMaxAge: cfg.CORSMaxAge,
		CORSCredentials: cfg.CORSAllowCredentials, AccessLog: cfg.AccessLog,
		Management: api.ManagementConfig{API: cfg.ManagementAPI, APIKeysUser: cfg.MgnAPIKeysUser, APIKeysSA: cfg.MgnAPIKeysSA},
		Configs: api.PublicConfigs{SessionExpireTime: int(cfg.SessionExpireTime / time.Second), CaptchaType: cfg.Captcha,
			CaptchaID: cfg.RecaptchaSiteKey, PhoneVerificationType: cfg.PhoneVerification,
			PasswordMinEntropy: cfg.PasswordMinEntropy, PasswordRegexp: policy.RubyString(),
			Auth0Domain: cfg.Auth0Domain, Auth0ClientID: cfg.Auth0ClientID, KYCProvider: cfg.KYCProvider},
		Version:   api.VersionInfo{GitTag: GitTag, GitSHA: GitSHA, BuildDate: BuildDate, Version: Version},
		Abilities: cfg.Abilities,
	}, api.Deps{App: s.App, Authz: s.Authz, Geo: s.Geo, Keys: s.Keys, Sessions: sessions, Meter: policy, Geetest: geetest, JWKS: s.Keys.JWKS,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Uploads: s.uploads, Registerer: reg, Logger: s.Log,
		Health: s.healthChecks()})
	return h
}

// registerNonceMetrics exports the API-key nonce checks of the Redis
// prefix (redisstore/nonces.go): where they were checked, and the keys
// handed between processes. Many checks in Redis, or handoffs that keep
// growing, say that the gateway spreads each key over several processes
// (docs/gateways.md).
func registerNonceMetrics(reg prometheus.Registerer, rc *redisstore.Client, prefix string) {
	stat := func(f func(redisstore.NonceStats) int64) func() float64 {
		return func() float64 { return float64(f(rc.NonceStats(prefix))) }
	}
	const checks = "API-key nonces checked, by where: in this process's memory (keys it owns) or in Redis (keys shared between processes)."
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "barong_apikey_nonce_checks_total", Help: checks,
			ConstLabels: prometheus.Labels{"where": "memory"}}, stat(func(n redisstore.NonceStats) int64 { return n.Memory })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "barong_apikey_nonce_checks_total", Help: checks,
			ConstLabels: prometheus.Labels{"where": "redis"}}, stat(func(n redisstore.NonceStats) int64 { return n.Redis })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "barong_apikey_nonce_handoffs_total",
			Help: "API keys this process asked another process to give up, to check their nonces."},
			stat(func(n redisstore.NonceStats) int64 { return n.Handoffs })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "barong_apikey_nonce_given_up_total",
			Help: "API keys whose nonces this process handed over to Redis (another process asked, or at shutdown)."},
			stat(func(n redisstore.NonceStats) int64 { return n.GivenUp })),
	)
}

// Start runs the background work: the outbox relay, session purging,
// with BARONG_KYC_PROVIDER=kycaid the KYCAID reconciler, and with Vault the
// renewal of its token (as Barong renewed it).
func (s *Server) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	if s.App.KYCAIDEnabled() {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.App.RunKYCAID(ctx, s.KYCAIDInterval) }()
	}
	if s.vault != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.vault.KeepRenewed(ctx, s.Log) }()
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.relay.Run(ctx) }()
	go func() { defer s.wg.Done(); s.Authz.Run(ctx) }()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.DB.PurgeExpired(ctx); err != nil {
					s.Log.WarnContext(ctx, "purge expired rows", slog.Any("error", err))
				}
			}
		}
	}()
}

// Serve listens on addr until ctx ends, then drains in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the background work and closes the connections.
func (s *Server) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.publisher != nil {
		_ = s.publisher.Close()
	}
	if s.Redis != nil {
		_ = s.Redis.Close()
	}
	if s.DB != nil {
		_ = s.DB.Close()
	}
}
