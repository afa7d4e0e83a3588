package api

import (
	"net/http"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/captcha"
	"github.com/barong-go/barong/password"
)

// client describes the caller for activities and sessions.
func (s *Server) client(r *http.Request) app.Client {
	c := app.Client{IP: s.clientIP(r), UserAgent: authz.CleanUserAgent(r.UserAgent())}
	if s.geo != nil {
		_, c.Country, _, _ = s.geo.Lookup(c.IP) // user_ip_country (reference §6.0)
	}
	return c
}

func (s *Server) parse(w http.ResponseWriter, r *http.Request, prefix string) (*params, error) {
	return parseParams(w, r, prefix, s.cfg.MaxUploadBytes)
}

// captchaParam reads captcha_response; badFormatKey is the key for a
// value of the wrong type ("" for <prefix>.invalid_captcha_response).
func captchaParam(p *params, badFormatKey string) captcha.Response {
	v := p.Any("captcha_response")
	resp, err := captcha.ParseResponse(v)
	if err != nil {
		if badFormatKey == "" {
			badFormatKey = p.key("invalid", "captcha_response")
		}
		p.Invalid(badFormatKey)
	}
	return resp
}

// setSessionCookie sends the session cookie (interface §5).
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess *barong.Session) {
	http.SetCookie(w, &http.Cookie{Name: s.cfg.SessionName, Value: sess.ID, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isTLS(r), Expires: time.Now().Add(24 * time.Hour)})
}

// DeviceCookieName is the cookie that marks a browser which signed in to
// an account before: the sign-in throttle lets it past the limits other
// clients share (app/throttle.go).
const DeviceCookieName = "_barong_device"

// setDeviceCookie gives the client that just signed in (or up) as uid a
// device cookie of uid, renewing the one it sent.
func (s *Server) setDeviceCookie(w http.ResponseWriter, r *http.Request, uid string) {
	v, ttl := s.app.Identity.DeviceCookie(uid, cookieValue(r, DeviceCookieName))
	if v == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: DeviceCookieName, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isTLS(r), MaxAge: int(ttl / time.Second)})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cfg.SessionName, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isTLS(r), MaxAge: -1})
}

// sessionID is the caller's session cookie value.
func (s *Server) sessionID(r *http.Request) string { return cookieValue(r, s.cfg.SessionName) }

// cookieValue is the value of r's cookie name, "" without one.
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.session")
	if err != nil {
		return err
	}
	in := app.LoginInput{Email: p.RequiredPresent("email"), Password: p.RequiredPresent("password"),
		OTPCode: p.String("otp_code"), Captcha: captchaParam(p, "identity.session.invalid_captcha_format")}
	in.Passkey = passkeyAssertionParam(p, false) // api/resource_webauthn.go
	in.Device = cookieValue(r, DeviceCookieName)
	if err := p.Err(); err != nil {
		return err
	}
	c := s.client(r)
	info, sess, err := s.app.Identity.Login(r.Context(), in, c)
	if err != nil {
		s.logLoginFailure(r, "password", in.Email, c, err)
		return err
	}
	s.setSessionCookie(w, r, sess)
	s.setDeviceCookie(w, r, sess.UID)
	writeJSON(w, http.StatusCreated, s.fullInfoEntity(info, sess.CSRFToken))
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.Sessions.Logout(r.Context(), s.sessionID(r), s.client(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	writeStatus(w, http.StatusNoContent)
	return nil
}

func (s *Server) handleAuth0(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.session")
	if err != nil {
		return err
	}
	tok := p.Required("id_token")
	otp := p.String("otp_code")
	if err := p.Err(); err != nil {
		return err
	}
	c := s.client(r)
	info, sess, err := s.app.Identity.Auth0Login(r.Context(), tok, otp, c)
	if err != nil {
		s.logLoginFailure(r, "auth0", "", c, err)
		return err
	}
	s.setSessionCookie(w, r, sess)
	s.setDeviceCookie(w, r, sess.UID)
	writeJSON(w, http.StatusOK, s.fullInfoEntity(info, sess.CSRFToken))
	return nil
}

func (s *Server) handleSignUp(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	in := app.SignUpInput{Email: p.Required("email"), Password: p.Required("password"),
		RefID: p.String("refid"), Data: p.String("data"), Captcha: captchaParam(p, ""),
		SetupToken: strings.TrimSpace(p.String("setup_token"))}
	if p.Has("username") {
		name := p.String("username")
		in.Username = &name
	}
	if err := p.Err(); err != nil {
		return err
	}
	info, sess, err := s.app.Identity.SignUp(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, sess)
	s.setDeviceCookie(w, r, sess.UID)
	writeJSON(w, http.StatusCreated, s.fullInfoEntity(info, sess.CSRFToken))
	return nil
}

func (s *Server) handleAccess(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	tok := p.Required("whitelink_token")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Access.WhitelistAccess(r.Context(), tok, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleGeetest(w http.ResponseWriter, r *http.Request) error {
	gt, challenge := "", ""
	if s.geetest != nil {
		gt, challenge = s.geetest.Register(r.Context())
	}
	writeJSON(w, http.StatusOK, struct {
		GT        string `json:"gt"`
		Challenge string `json:"challenge"`
	}{gt, challenge})
	return nil
}

func (s *Server) handleEmailCode(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	email := p.Required("email")
	resp := captchaParam(p, "")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Identity.ResendConfirmation(r.Context(), email, resp, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

func (s *Server) handleEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	tok := p.Required("token")
	if err := p.Err(); err != nil {
		return err
	}
	info, sess, err := s.app.Identity.ConfirmEmail(r.Context(), tok, s.client(r))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, sess)
	writeJSON(w, http.StatusCreated, s.fullInfoEntity(info, sess.CSRFToken))
	return nil
}

func (s *Server) handlePasswordCode(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	email := p.Required("email")
	resp := captchaParam(p, "")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Identity.RequestPasswordReset(r.Context(), email, resp, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

func (s *Server) handlePasswordConfirm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.user")
	if err != nil {
		return err
	}
	tok := p.RequiredKey("reset_password_token", "identity.user.missing_pass_token")
	pw := p.Required("password")
	confirm := p.Required("confirm_password")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Identity.ResetPassword(r.Context(), tok, pw, confirm, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

// The endpoints identity and public share (§6.1).

func (s *Server) handlePing(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ping":"pong"}`))
	return nil
}

func (s *Server) handleTime(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Time int64 `json:"time"`
	}{time.Now().Unix()})
	return nil
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) error {
	v := s.cfg.Version
	writeJSON(w, http.StatusOK, struct {
		GitTag    string `json:"git_tag"`
		GitSHA    string `json:"git_sha"`
		BuildDate string `json:"build_date"`
		Version   string `json:"version"`
	}{v.GitTag, v.GitSHA, v.BuildDate, v.Version})
	return nil
}

// handlePasswordValidate is POST <family>/password/validate.
func (s *Server) handlePasswordValidate(family string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.parse(w, r, family+".general")
		if err != nil {
			return err
		}
		pw := p.RequiredPresent("password")
		if err := p.Err(); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, struct {
			Entropy password.Score `json:"entropy"`
		}{s.meter.Score(pw)})
		return nil
	}
}

func (s *Server) handleConfigs(w http.ResponseWriter, r *http.Request) error {
	c := s.cfg.Configs
	o := struct {
		SessionExpireTime     int     `json:"session_expire_time"`
		CaptchaType           string  `json:"captcha_type"`
		CaptchaID             *string `json:"captcha_id,omitempty"`
		PhoneVerificationType string  `json:"phone_verification_type"`
		PasswordMinEntropy    int     `json:"password_min_entropy"`
		PasswordRegexp        string  `json:"password_regexp"`
	}{SessionExpireTime: c.SessionExpireTime, CaptchaType: c.CaptchaType, PhoneVerificationType: c.PhoneVerificationType,
		PasswordMinEntropy: c.PasswordMinEntropy, PasswordRegexp: c.PasswordRegexp}
	if c.CaptchaType == "recaptcha" && c.CaptchaID != "" {
		o.CaptchaID = &c.CaptchaID
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleAuth0Configs(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Domain   string `json:"auth0_domain"`
		ClientID string `json:"auth0_client_id"`
	}{s.cfg.Configs.Auth0Domain, s.cfg.Configs.Auth0ClientID})
	return nil
}

// handleKYCCallback is POST public/kyc.
func (s *Server) handleKYCCallback(w http.ResponseWriter, r *http.Request) error {
	if strings.EqualFold(s.cfg.Configs.KYCProvider, "local") {
		return barong.Invalid("public.kyc.disabled")
	}
	// Any body is accepted (Barong's "any params"); only the
	// verification id is used, and the verification is re-fetched from
	// KYCAID. An unknown id is acknowledged; a failure to reach KYCAID
	// is a 500, so that the caller may retry.
	var id string
	if p, err := s.parse(w, r, "public.kyc"); err == nil {
		id = p.String("verification_id")
	}
	if err := s.app.KYC.KYCAIDCallback(r.Context(), id); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}
