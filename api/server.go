package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/password"
	"github.com/barong-go/barong/seclog"
	"github.com/barong-go/barong/token"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the HTTP settings.
type Config struct {
	SessionName     string
	SessionExpire   time.Duration
	Gateway         string // cloudflare or akamai
	TrustedProxies  []netip.Prefix
	MaxUploadBytes  int64
	Masking         bool
	CORSOrigins     []string
	CORSMaxAge      int
	CORSCredentials bool
	// AccessLog writes one log line per request (BARONG_ACCESS_LOG).
	AccessLog bool
	// Public configuration shown by /configs.
	Configs PublicConfigs
	Version VersionInfo
	// Abilities are the admin API abilities per role (abilities.yml).
	Abilities config.Abilities
	// Management configures the management API (management.go).
	Management ManagementConfig
}

// PublicConfigs is the body of GET /identity/configs (reference §6.1).
type PublicConfigs struct {
	SessionExpireTime     int
	CaptchaType           string
	CaptchaID             string
	PhoneVerificationType string
	PasswordMinEntropy    int
	PasswordRegexp        string // Ruby (?-mix:...) form
	Auth0Domain           string
	Auth0ClientID         string
	KYCProvider           string
}

// VersionInfo is the body of GET /identity/version.
type VersionInfo struct {
	GitTag, GitSHA, BuildDate, Version string
}

// PasswordMeter gives the entropy figure of /password/validate.
type PasswordMeter interface {
	// Score marshals as Ruby rendered the entropy (6, 15.5, 14.0).
	Score(pw string) password.Score
}

// Geetest registers GeeTest challenges.
type Geetest interface {
	Register(ctx context.Context) (gt, challenge string)
}

// Server is the HTTP surface. Its fields are the services it calls.
type Server struct {
	cfg      Config
	app      *app.Service
	authz    *authz.Engine
	geo      authz.Geo // nil: countries unknown
	keys     *token.Keyring
	sessions barong.SessionStore
	meter    PasswordMeter
	geetest  Geetest
	jwks     func() ([]byte, error)
	metrics  http.Handler
	httpm    *httpMetrics
	log      *slog.Logger
	ready    *readiness
	uploads  http.Handler // nil: not served
	mux      *http.ServeMux
	// routes is the route table (api/routes.go).
	routes []route
}

// Deps are the services of the server.
type Deps struct {
	App      *app.Service
	Authz    *authz.Engine
	Geo      authz.Geo // GeoIP for user_ip_country (nil: unknown)
	Keys     *token.Keyring
	Sessions barong.SessionStore
	Meter    PasswordMeter
	Geetest  Geetest
	JWKS     func() ([]byte, error)
	Metrics  http.Handler
	// Uploads serves the signed links of the local document storage at
	// /uploads/... (nil: not served).
	Uploads http.Handler
	// Registerer receives the HTTP metrics (nil: not collected).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Health are the readiness checks of GET /readyz (api/health.go).
	Health []HealthCheck
}

// New builds the server and its routes.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 10 << 20
	}
	s := &Server{cfg: cfg, app: d.App, authz: d.Authz, geo: d.Geo, keys: d.Keys, sessions: d.Sessions, meter: d.Meter, geetest: d.Geetest,
		jwks: d.JWKS, metrics: d.Metrics, log: d.Logger, mux: http.NewServeMux(), httpm: newHTTPMetrics(d.Registerer),
		ready: &readiness{checks: d.Health, log: d.Logger}, uploads: d.Uploads}
	m := newManagement(s)
	s.routes = s.routeTable(m)
	s.mount(m) // api/routes.go
	return s
}

// wrap turns a handlerFunc into an http.HandlerFunc that renders errors.
func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "Route is not found"})
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := s.jwks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// ServeHTTP runs the middleware chain: request id, metrics and access log,
// panic recovery, CORS, routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := seclog.AcceptRequestID(r.Header.Get(RequestIDHeader))
	w.Header().Set(RequestIDHeader, id)
	r = r.WithContext(seclog.WithRequestID(r.Context(), id))
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	defer func() {
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		s.httpm.observe(r, code, start)
		if s.cfg.AccessLog {
			s.accessLog(r, code, start)
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			writeJSON(w, http.StatusInternalServerError, errorBody{Errors: []string{"server.internal_error"}, RequestID: id})
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/api/") && s.cors(w, r) {
		return
	}
	if authzTarget(r) {
		r.Pattern = authzPrefix + "/" // the metrics' route label
		s.handleAuthz(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cors applies the CORS settings; it reports whether it answered a preflight.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	allowed := false
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" || o == origin {
			allowed = true
			break
		}
	}
	if !allowed {
		return false
	}
	h := w.Header()
	if s.cfg.CORSCredentials {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	} else if len(s.cfg.CORSOrigins) == 1 && s.cfg.CORSOrigins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, PUT, PATCH, OPTIONS, HEAD")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", itoa(s.cfg.CORSMaxAge))
		w.WriteHeader(http.StatusOK)
		return true
	}
	return false
}
