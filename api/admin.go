package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
)

// Ability actions and models of abilities.yml (reference §2.8).
const (
	actRead    = "read"
	actCreate  = "create"
	actUpdate  = "update"
	actDestroy = "destroy"

	modelAbility     = "Ability"
	modelUser        = "User"
	modelLevel       = "Level"
	modelLabel       = "Label"
	modelProfile     = "Profile"
	modelActivity    = "Activity"
	modelAPIKey      = "APIKey"
	modelPermission  = "Permission"
	modelRestriction = "Restriction"
	// modelSession (barong-go addition) guards admin/users/sessions.
	modelSession = "Session"
)

// withAbility runs h when the app finds that the caller's role has the
// ability to do action on model (abilities.yml, Service.Authorize), else
// answers 401 admin.ability.not_permitted, before the parameters are
// parsed (the service method checks it again). Every admin route has one
// (the route table's adminAbility), also those Barong left without an
// ability check (comments, profile creation, abilities; reference §12.4
// item 12).
func (s *Server) withAbility(action, model string, h callerHandler) callerHandler {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		ctx := seclog.WithRoute(r.Context(), r.Method, r.URL.Path)
		if err := s.app.Authorize(ctx, barong.AdminActor(c.User), action, model); err != nil {
			return err
		}
		return h(w, r, c)
	}
}

// writePage answers a page of a list with the Total, Page and Per-Page
// headers (interface §8).
func writePage(w http.ResponseWriter, pg barong.Page, total int64, items any) {
	h := w.Header()
	h.Set("Total", strconv.FormatInt(total, 10))
	h.Set("Page", strconv.Itoa(pg.Page))
	h.Set("Per-Page", strconv.Itoa(pg.Limit))
	writeJSON(w, http.StatusOK, items)
}

// stringParam reads an optional string that must be sent as a string
// (a JSON number or object adds nonString, 422).
func stringParam(p *params, name, nonString string) string {
	v, ok := p.raw(name)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		p.Invalid(nonString)
	}
	return s
}

// optString returns a pointer to an optional non-blank parameter, nil when
// it was not sent (blank adds the empty_ key, 400).
func optString(p *params, name string) *string {
	v, ok := p.NotBlank(name)
	if !ok {
		return nil
	}
	return &v
}

// idParam reads the required integer id (missing → missing_id + empty_id,
// blank → empty_id, 400; not an integer → <prefix>.non_integer_id, 422).
func idParam(p *params) int64 {
	s := p.Required("id")
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.Invalid(p.key("non_integer", "id"))
	}
	return n
}

// epochParam reads an optional time in seconds since the epoch with
// nonInteger as the 422 key (blank is the empty_ key, 400).
func epochParam(p *params, name, nonInteger string) time.Time {
	v, ok := p.raw(name)
	if !ok {
		return time.Time{}
	}
	s, isStr := asString(v)
	if isStr && s == "" {
		p.missing = append(p.missing, p.key("empty", name))
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if !isStr || err != nil {
		p.Invalid(nonInteger)
		return time.Time{}
	}
	return unixTime(n)
}

// orderParam reads ordering (asc or desc, default asc) and order_by (one of
// cols, default id) with <prefix>.invalid_ordering and
// <prefix>.invalid_attribute (422).
func orderParam(p *params, prefix string, cols []string) barong.Order {
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
		o.By = p.String("order_by")
		if !slices.Contains(cols, o.By) {
			p.Invalid(prefix + ".invalid_attribute")
		}
	}
	return o
}

// enumParam reads an optional value of values; another one adds invalid.
func enumParam(p *params, name, invalid string, values []string) *string {
	if !p.Has(name) {
		return nil
	}
	v := p.String(name)
	if !slices.Contains(values, v) {
		p.Invalid(invalid)
	}
	return &v
}

// handleAbilities is GET /admin/abilities: the caller role's entry of
// abilities.yml, {"read":[...],"manage":[...]} without empty lists, or {}.
func (s *Server) handleAbilities(w http.ResponseWriter, r *http.Request, c *caller) error {
	a := s.cfg.Abilities[c.User.Role]
	var o struct {
		Read   []string `json:"read,omitempty"`
		Manage []string `json:"manage,omitempty"`
	}
	if len(a.Read) > 0 {
		o.Read = a.Read
	}
	if len(a.Manage) > 0 {
		o.Manage = a.Manage
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
