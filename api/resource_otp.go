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
	type qrData struct {
		Barcode string `json:"barcode"`
		URL     string `json:"url"`
	}
	writeJSON(w, http.StatusOK, struct {
		Auth          any    `json:"auth"`
		Data          qrData `json:"data"`
		LeaseDuration int    `json:"lease_duration"`
		LeaseID       string `json:"lease_id"`
		Metadata      any    `json:"metadata"`
		Renewable     bool   `json:"renewable"`
		Warnings      any    `json:"warnings"`
		WrapInfo      any    `json:"wrap_info"`
	}{Data: qrData{setup.Barcode, setup.URL}})
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
