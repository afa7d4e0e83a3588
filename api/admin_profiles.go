package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

const adminProfile = "admin.profile"

func (s *Server) handleAdminProfiles(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminProfile)
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	ps, total, err := s.app.KYC.AdminProfiles(r.Context(), barong.AdminActor(c.User), pg)
	if err != nil {
		return err
	}
	out := entitiesWith(ps, profileEntity, false)
	writePage(w, pg, total, out)
	return nil
}

func (s *Server) handleAdminCreateProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminProfile)
	if err != nil {
		return err
	}
	uid := p.Required("uid")
	in := profileParams(p)
	if err := p.Err(); err != nil {
		return err
	}
	prof, err := s.app.KYC.AdminCreateProfile(r.Context(), barong.AdminActor(c.User), uid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, profileEntity(prof, false))
	return nil
}

func (s *Server) handleAdminVerifyProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminProfile)
	if err != nil {
		return err
	}
	uid, state := p.Required("uid"), p.Required("state")
	if err := p.Err(); err != nil {
		return err
	}
	prof, err := s.app.KYC.AdminVerifyProfile(r.Context(), barong.AdminActor(c.User), uid, state)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, profileEntity(prof, false))
	return nil
}

// handleAdminActivities serves both activity lists: topic, action, uid,
// email (and target_uid for admin records) must be strings
// (admin.activity.non_string_<param>); from and to are epoch seconds
// (admin.activity.non_integer_<param>); range may only be created
// (admin.activity.invalid_range).
func (s *Server) handleAdminActivities(category string) callerHandler {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		p, err := s.parse(w, r, "admin.activity")
		if err != nil {
			return err
		}
		str := func(name string) string { return stringParam(p, name, "admin.activity.non_string_"+name) }
		q := app.AdminActivityQuery{Topic: str("topic"), Action: str("action"), UID: str("uid"), Email: str("email")}
		if category == barong.CategoryAdmin {
			q.TargetUID = str("target_uid")
			enumParam(p, "range", "admin.activity.invalid_range", []string{"created"})
		}
		q.From = epochParam(p, "from", "admin.activity.non_integer_from")
		q.To = epochParam(p, "to", "admin.activity.non_integer_to")
		q.Page = p.Page()
		if err := p.Err(); err != nil {
			return err
		}
		acts, total, err := s.app.Activities.AdminList(r.Context(), barong.AdminActor(c.User), category, q)
		if err != nil {
			return err
		}
		out := entities(acts, adminActivityEntity)
		writePage(w, q.Page, total, out)
		return nil
	}
}

// handleAdminMetrics is GET /admin/metrics: created_from and created_to
// (epoch seconds or a date, YYYY-MM-DD or RFC 3339) bound the counts, which
// Barong ignored; a value that is neither answers 422
// admin.metric.invalid_created_<from|to>. The "sucessful_logins" spelling
// is Barong's.
func (s *Server) handleAdminMetrics(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "admin.metric")
	if err != nil {
		return err
	}
	from, to := metricTime(p, "created_from", false), metricTime(p, "created_to", true)
	if err := p.Err(); err != nil {
		return err
	}
	m, err := s.app.Activities.AdminMetrics(r.Context(), barong.AdminActor(c.User), from, to)
	if err != nil {
		return err
	}
	days := func(ds []barong.DayCount) members[int64] {
		o := make(members[int64], 0, len(ds))
		for _, d := range ds {
			o = append(o, member[int64]{d.Day, d.Count})
		}
		return o
	}
	writeJSON(w, http.StatusOK, struct {
		Signups             members[int64] `json:"signups"`
		SuccessfulLogins    members[int64] `json:"sucessful_logins"`
		FailedLogins        members[int64] `json:"failed_logins"`
		PendingApplications int64          `json:"pending_applications"`
	}{days(m.Signups), days(m.SuccessfulLogins), days(m.FailedLogins), m.PendingApplications})
	return nil
}

// metricTime parses a metrics bound; a bare date as the upper bound means
// the end of that day.
func metricTime(p *params, name string, endOfDay bool) time.Time {
	if !p.Has(name) {
		return time.Time{}
	}
	v := strings.TrimSpace(p.String(name))
	if v == "" {
		p.missing = append(p.missing, p.key("empty", name))
		return time.Time{}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return unixTime(n)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return clampTime(t.UTC())
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t
	}
	p.Invalid(p.key("invalid", name))
	return time.Time{}
}
