package api

import (
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

const serviceAccountParams = "resource.serviceaccount"

func (s *Server) handleServiceAccounts(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, serviceAccountParams)
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	sas, total, err := s.app.ServiceAccounts.List(r.Context(), barong.UserActor(c.User), pg)
	if err != nil {
		return err
	}
	out := entities(sas, serviceAccountRow)
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSAKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, serviceAccountParams)
	if err != nil {
		return err
	}
	order := apiKeyOrder(p, "resource.service_accounts")
	pg := p.Page()
	uid := saUIDParam(p)
	if err := p.Err(); err != nil {
		return err
	}
	keys, total, err := s.app.ServiceAccounts.APIKeys(r.Context(), barong.UserActor(c.User), uid, order, pg)
	if err != nil {
		return err
	}
	writeKeyList(w, keys, total, pg)
	return nil
}

func (s *Server) handleCreateSAKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, serviceAccountParams)
	if err != nil {
		return err
	}
	uid := saUIDParam(p)
	in := app.APIKeyInput{Algorithm: p.Required("algorithm"), Scope: apiKeyParam(p, "scope"),
		TOTPCode: p.RequiredKey("totp_code", "resource.service_accounts.missing_totp")}
	if err := p.Err(); err != nil {
		return err
	}
	k, err := s.app.ServiceAccounts.CreateAPIKey(r.Context(), barong.UserActor(c.User), uid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiKeyEntity(k, true))
	return nil
}

func (s *Server) handleUpdateSAKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, serviceAccountParams)
	if err != nil {
		return err
	}
	uid := saUIDParam(p)
	in := app.APIKeyInput{Scope: apiKeyParam(p, "scope"), State: apiKeyParam(p, "state"), TOTPCode: p.Required("totp_code")}
	if err := p.Err(); err != nil {
		return err
	}
	k, err := s.app.ServiceAccounts.UpdateAPIKey(r.Context(), barong.UserActor(c.User), uid, r.PathValue("kid"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyEntity(k, false))
	return nil
}

func (s *Server) handleDeleteSAKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, serviceAccountParams)
	if err != nil {
		return err
	}
	uid := saUIDParam(p)
	code := p.Required("totp_code")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.ServiceAccounts.DeleteAPIKey(r.Context(), barong.UserActor(c.User), uid, r.PathValue("kid"), code); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

// saUIDParam reads the required service_account_uid: missing adds only the
// missing_ key (a blank uid matches no account, 404); an array or object is
// 422 resource.service_account.non_string_service_account_uid.
func saUIDParam(p *params) string {
	switch p.Any("service_account_uid").(type) {
	case map[string]any, []any:
		p.Invalid("resource.service_account.non_string_service_account_uid")
		return ""
	}
	return p.RequiredPresent("service_account_uid")
}

// serviceAccountRow is the service account as Barong lists it to its owner:
// the table row, without an entity. Times are whole seconds (interface §4)
// where Barong's raw rows carry milliseconds.
func serviceAccountRow(sa *barong.ServiceAccount) entity.ServiceAccountRow {
	return entity.NewServiceAccountRow(sa)
}
