package api

import (
	"net/http"

	"github.com/barong-go/barong/app"
)

// getServiceAccount is POST /management/service_accounts/get: 200
// ServiceAccounts.
func (m *management) getServiceAccount(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, _ := p.Optional("uid")
	email, _ := p.Optional("email")
	p.ExactlyOne("uid", "email")
	if err := p.Err(); err != nil {
		return err
	}
	sa, err := m.s.app.ServiceAccounts.ManagementGet(r.Context(), mgmtActor(r), uid, email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mgmtServiceAccountEntity(sa))
	return nil
}

// listServiceAccounts is POST /management/service_accounts/list: 200
// paginated [ServiceAccounts].
func (m *management) listServiceAccounts(w http.ResponseWriter, r *http.Request, p *params) error {
	pg := p.Page()
	ownerUID, _ := p.Optional("owner_uid")
	ownerEmail, _ := p.Optional("owner_email")
	if err := p.Err(); err != nil {
		return err
	}
	sas, total, err := m.s.app.ServiceAccounts.ManagementList(r.Context(), mgmtActor(r), ownerUID, ownerEmail, pg)
	if err != nil {
		return err
	}
	out := entities(sas, mgmtServiceAccountEntity)
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createServiceAccount is POST /management/service_accounts/create: 201
// ServiceAccounts; validation failures 422 {"error":[full messages]}.
func (m *management) createServiceAccount(w http.ResponseWriter, r *http.Request, p *params) error {
	in := app.ServiceAccountInput{Role: p.Required("service_account_role"), OwnerUID: p.OptionalBlankOK("owner_uid"),
		UID: p.OptionalBlankOK("service_account_uid"), Email: p.OptionalBlankOK("service_account_email"),
		State: p.OptionalBlankOK("service_account_state")}
	if n, ok := p.Int32("service_account_level", "is invalid"); ok {
		level := int(n)
		in.Level = &level
	}
	if err := p.Err(); err != nil {
		return err
	}
	sa, err := m.s.app.ServiceAccounts.ManagementCreate(r.Context(), mgmtActor(r), in)
	if err != nil {
		return modelFull(err)
	}
	writeJSON(w, http.StatusCreated, mgmtServiceAccountEntity(sa))
	return nil
}

// updateServiceAccount is POST /management/service_accounts/update: 201
// ServiceAccounts.
func (m *management) updateServiceAccount(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	owner, _ := p.Optional("owner_uid")
	if err := p.Err(); err != nil {
		return err
	}
	sa, err := m.s.app.ServiceAccounts.ManagementUpdate(r.Context(), mgmtActor(r), uid, owner)
	if err != nil {
		return modelKeys(err)
	}
	writeJSON(w, http.StatusCreated, mgmtServiceAccountEntity(sa))
	return nil
}

// deleteServiceAccount is POST /management/service_accounts/delete: 200
// ServiceAccounts, now disabled.
func (m *management) deleteServiceAccount(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	if err := p.Err(); err != nil {
		return err
	}
	sa, err := m.s.app.ServiceAccounts.ManagementDelete(r.Context(), mgmtActor(r), uid)
	if err != nil {
		return modelKeys(err)
	}
	writeJSON(w, http.StatusOK, mgmtServiceAccountEntity(sa))
	return nil
}

// keyInput reads the parameters shared by the api_keys endpoints.
func (m *management) keyInput(p *params) app.ManagementKeyInput {
	in := app.ManagementKeyInput{AllowUsers: m.cfg.APIKeysUser, AllowServiceAccounts: m.cfg.APIKeysSA}
	in.Key.Scope = p.OptionalPtr("scopes")
	return in
}

// createAPIKey is POST /management/api_keys: 201 APIKey with its secret;
// validation failures 422 {"errors":[keys]}.
func (m *management) createAPIKey(w http.ResponseWriter, r *http.Request, p *params) error {
	alg, uid := p.Required("algorithm"), p.Required("uid")
	in := m.keyInput(p)
	in.UID, in.Key.Algorithm = uid, alg
	if err := p.Err(); err != nil {
		return err
	}
	k, err := m.s.app.APIKeys.ManagementCreate(r.Context(), mgmtActor(r), in)
	if err != nil {
		return modelKeys(err)
	}
	writeJSON(w, http.StatusCreated, apiKeyEntity(k, true))
	return nil
}

// updateAPIKey is POST /management/api_keys/update: 201 APIKey without
// its secret.
func (m *management) updateAPIKey(w http.ResponseWriter, r *http.Request, p *params) error {
	kid, uid := p.Required("kid"), p.Required("uid")
	in := m.keyInput(p)
	in.UID, in.KID = uid, kid
	in.Key.State = p.OptionalPtr("state")
	if err := p.Err(); err != nil {
		return err
	}
	k, err := m.s.app.APIKeys.ManagementUpdate(r.Context(), mgmtActor(r), in)
	if err != nil {
		return modelKeys(err)
	}
	writeJSON(w, http.StatusCreated, apiKeyEntity(k, false))
	return nil
}
