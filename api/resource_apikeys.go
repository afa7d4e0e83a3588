package api

import (
	"net/http"
	"slices"
	"strconv"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

func (s *Server) handleAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.apikey")
	if err != nil {
		return err
	}
	order := apiKeyOrder(p, "resource.api_key")
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	keys, total, err := s.app.APIKeys.List(r.Context(), barong.UserActor(c.User), order, pg)
	if err != nil {
		return err
	}
	writeKeyList(w, keys, total, pg)
	return nil
}

func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.apikey")
	if err != nil {
		return err
	}
	in := app.APIKeyInput{Algorithm: p.Required("algorithm"), Scope: apiKeyParam(p, "scope"),
		TOTPCode: p.RequiredKey("totp_code", "resource.api_key.missing_totp")}
	if err := p.Err(); err != nil {
		return err
	}
	k, err := s.app.APIKeys.Create(r.Context(), barong.UserActor(c.User), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiKeyEntity(k, true))
	return nil
}

func (s *Server) handleUpdateAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.apikey")
	if err != nil {
		return err
	}
	in := app.APIKeyInput{Scope: apiKeyParam(p, "scope"), State: apiKeyParam(p, "state"), TOTPCode: p.Required("totp_code")}
	if err := p.Err(); err != nil {
		return err
	}
	k, err := s.app.APIKeys.Update(r.Context(), barong.UserActor(c.User), r.PathValue("kid"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyEntity(k, false))
	return nil
}

func (s *Server) handleDeleteAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.apikey")
	if err != nil {
		return err
	}
	code := p.Required("totp_code")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.APIKeys.Delete(r.Context(), barong.UserActor(c.User), r.PathValue("kid"), code); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

// apiKeyEntity is Barong's APIKey entity; the secret is shown only in the
// answer that creates the key.
func apiKeyEntity(k *barong.APIKey, withSecret bool) entity.APIKey {
	return entity.NewAPIKey(k, withSecret)
}

// writeKeyList answers a page of API keys, without secrets, with the
// Total, Page and Per-Page headers.
func writeKeyList(w http.ResponseWriter, keys []barong.APIKey, total int64, pg barong.Page) {
	out := entitiesWith(keys, apiKeyEntity, false)
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
}

// writeKeyPageHeaders sets the pagination headers of a list (interface §8).
func writeKeyPageHeaders(w http.ResponseWriter, total int64, pg barong.Page) {
	h := w.Header()
	h.Set("Total", strconv.FormatInt(total, 10))
	h.Set("Page", itoa(pg.Page))
	h.Set("Per-Page", itoa(pg.Limit))
}

// apiKeyOrder reads ordering (asc or desc, default asc) and order_by (a column
// of apikeys, default id) with the family's <prefix>.invalid_ordering and
// <prefix>.invalid_attribute keys (422).
func apiKeyOrder(p *params, prefix string) barong.Order {
	o := barong.Order{By: "id"}
	if p.Has("ordering") {
		switch p.String("ordering") {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			p.Invalid(prefix + ".invalid_ordering")
		}
	}
	if p.Has("order_by") {
		by := p.String("order_by")
		if !slices.Contains(app.APIKeyColumns, by) {
			p.Invalid(prefix + ".invalid_attribute")
		}
		o.By = by
	}
	return o
}

// apiKeyParam returns a pointer to an optional non-blank string parameter, or
// nil when it was not sent (blank adds the empty_ key).
func apiKeyParam(p *params, name string) *string {
	v, ok := p.NotBlank(name)
	if !ok {
		return nil
	}
	return &v
}
