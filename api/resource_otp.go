package api

import (
	barong "github.com/barong-go/barong"
	"net/http"
)

func (s *Server) handleOTPQRCode(w http.ResponseWriter, r *http.Request, c *caller) error {
	setup, err := s.app.OTP.GenerateQRCode(r.Context(), barong.UserActor(c.User), s.client(r))
	if err != nil {
		return err
	}
	// Barong answers with the response of Vault's TOTP engine as it is.
	writeJSON(w, http.StatusOK, object{{"auth", nil},
		{"data", object{{"barcode", setup.Barcode}, {"url", setup.URL}}},
		{"lease_duration", 0}, {"lease_id", ""}, {"metadata", nil}, {"renewable", false},
		{"warnings", nil}, {"wrap_info", nil}})
	return nil
}

func (s *Server) handleOTPEnable(w http.ResponseWriter, r *http.Request, c *caller) error {
	code, err := s.otpCode(w, r)
	if err != nil {
		return err
	}
	// The session that enables 2FA survives; a bearer call from the gateway
	// keeps the session whose cookie came along.
	keep := s.sessionID(r)
	if c.Session != nil {
		keep = c.Session.ID
	}
	if err := s.app.OTP.Enable(r.Context(), barong.UserActor(c.User), code, keep, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleOTPDisable(w http.ResponseWriter, r *http.Request, c *caller) error {
	code, err := s.otpCode(w, r)
	if err != nil {
		return err
	}
	if err := s.app.OTP.Disable(r.Context(), barong.UserActor(c.User), code, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleOTPVerify(w http.ResponseWriter, r *http.Request, c *caller) error {
	code, err := s.otpCode(w, r)
	if err != nil {
		return err
	}
	if err := s.app.OTP.Verify(r.Context(), barong.UserActor(c.User), code, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

// otpCode reads the required code parameter (resource.otp.missing_code,
// resource.otp.empty_code).
func (s *Server) otpCode(w http.ResponseWriter, r *http.Request) (string, error) {
	p, err := s.parse(w, r, "resource.otp")
	if err != nil {
		return "", err
	}
	code := p.Required("code")
	return code, p.Err()
}
