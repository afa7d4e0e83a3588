package app

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/golang-jwt/jwt/v5"
)

// jwksCache fetches and caches Auth0's signing keys by kid.
type jwksCache struct {
	cfg     Auth0Config
	client  *http.Client
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func newJWKSCache(cfg Auth0Config) *jwksCache {
	if cfg.JWKSURL == "" && cfg.Domain != "" {
		cfg.JWKSURL = "https://" + cfg.Domain + "/.well-known/jwks.json"
	}
	return &jwksCache{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}}
}

// key returns the RSA key for kid, refreshing the set at most once a minute
// when kid is unknown.
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.keys[kid]; ok {
		return k, nil
	}
	if time.Since(c.fetched) < time.Minute && c.keys != nil {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	keys, err := c.fetch(ctx)
	if err != nil {
		return nil, err
	}
	c.keys, c.fetched = keys, time.Now()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown kid %q", kid)
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	if c.cfg.JWKSURL == "" {
		return nil, errors.New("auth0 is not configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.JWKSURL, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kid string   `json:"kid"`
			Kty string   `json:"kty"`
			N   string   `json:"n"`
			E   string   `json:"e"`
			X5c []string `json:"x5c"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		if len(k.X5c) > 0 {
			der, err := base64.StdEncoding.DecodeString(k.X5c[0])
			if err == nil {
				if cert, err := x509.ParseCertificate(der); err == nil {
					if pub, ok := cert.PublicKey.(*rsa.PublicKey); ok {
						out[k.Kid] = pub
						continue
					}
				}
			}
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out, nil
}

// Auth0Login signs in with an Auth0 ID token (reference §6.2.3). Unlike
// Barong, an existing account keeps its protections: banned, deleted and
// inactive accounts are refused, and 2FA requires otp_code.
func (s *Identity) Auth0Login(ctx context.Context, idToken, otpCode string, c Client) (*UserInfo, *barong.Session, error) {
	invalid := barong.Invalid("identity.session.auth0.invalid_params")
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(idToken, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return s.auth0.key(ctx, kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("https://"+s.cfg.Auth0.Domain+"/"),
		jwt.WithAudience(s.cfg.Auth0.ClientID), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	if err != nil {
		return nil, nil, invalid
	}
	email, _ := claims["email"].(string)
	if email == "" {
		return nil, nil, barong.Unauthorized("identity.session.auth0.invalid_params")
	}
	verified, hasVerified := claims["email_verified"].(bool)
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		if hasVerified && !verified {
			return nil, nil, barong.Unauthorized("identity.session.auth0.invalid_params")
		}
		if err := s.stateAllowsLogin(ctx, u, c); err != nil {
			return nil, nil, err
		}
		if u.OTP {
			if otpCode == "" {
				return nil, nil, barong.Unauthorized("identity.session.missing_otp")
			}
			ok, err := s.checkTOTP(ctx, s.store, u, otpCode)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				s.recordAlone(ctx, u.ID, c, "session", "login::2fa", barong.ResultFailed, "OTP code is invalid")
				return nil, nil, barong.Forbidden("identity.session.invalid_otp")
			}
		}
	case isNotFound(err):
		if !hasVerified {
			return nil, nil, invalid
		}
		if !verified {
			return nil, nil, barong.Unauthorized("identity.session.auth0.invalid_params")
		}
		if u, err = s.createAuth0User(ctx, email); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	return s.completeLogin(ctx, u, c, "login")
}

// createAuth0User creates an active user with a random password and the
// private label email=verified.
func (s *core) createAuth0User(ctx context.Context, email string) (*barong.User, error) {
	if !validEmail(email) {
		return nil, barong.Invalid("email.invalid")
	}
	digest, err := s.randomDigest(ctx)
	if err != nil {
		return nil, err
	}
	orig := barong.User{Email: email, PasswordDigest: digest, State: barong.StateActive}
	u := &barong.User{}
	err = s.inTx(ctx, func(tx *txn) error {
		*u = orig // a retried attempt starts over
		if err := s.createUser(ctx, tx, u); err != nil {
			return err
		}
		_, err := s.setLabel(ctx, tx, u, "email", "verified", barong.ScopePrivate, "")
		return err
	})
	return u, err
}
