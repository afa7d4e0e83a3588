package api

import (
	"context"
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

func (s *Server) handlePhones(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.phone")
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	phones, err := s.app.KYC.Phones(r.Context(), barong.UserActor(c.User))
	if err != nil {
		return err
	}
	lo, hi := kycPageBounds(len(phones), pg)
	out := make([]entity.Phone, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, phoneEntity(&phones[i], s.cfg.Masking))
	}
	writeKYCPageHeaders(w, len(phones), pg)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// phoneParams reads phone_number and channel (sms or call, default sms).
func phoneParams(p *params) (number, channel string) {
	number = p.Required("phone_number")
	channel = "sms"
	if p.Has("channel") {
		channel = p.String("channel")
		if channel != "sms" && channel != "call" {
			p.Invalid("resource.phone.invalid_channel")
		}
	}
	return number, channel
}

func (s *Server) handlePhoneCreate(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.sendPhone(w, r, c, s.app.KYC.AddPhone)
}

func (s *Server) handlePhoneSendCode(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.sendPhone(w, r, c, s.app.KYC.SendPhoneCode)
}

// sendPhone runs add or send_code and answers with the seed's 200.
func (s *Server) sendPhone(w http.ResponseWriter, r *http.Request, c *caller, send phoneSender) error {
	p, err := s.parse(w, r, "resource.phone")
	if err != nil {
		return err
	}
	number, channel := phoneParams(p)
	if err := p.Err(); err != nil {
		return err
	}
	if err := send(r.Context(), barong.UserActor(c.User), number, channel); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Message string `json:"message"`
	}{"Code was sent successfully via " + channel})
	return nil
}

func (s *Server) handlePhoneVerify(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.phone")
	if err != nil {
		return err
	}
	number, code := p.Required("phone_number"), p.Required("verification_code")
	if err := p.Err(); err != nil {
		return err
	}
	info, err := s.app.KYC.VerifyPhone(r.Context(), barong.UserActor(c.User), number, code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.fullInfoEntity(info, ""))
	return nil
}

// phoneSender is AddPhone or SendPhoneCode.
type phoneSender func(ctx context.Context, actor barong.Actor, number, channel string) error
