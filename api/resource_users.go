package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	// The user row and records in one database round trip; the decision
	// before it came from the claims authz keeps in process memory.
	info, err := s.app.Users.InfoByUID(r.Context(), c.User.UID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.fullInfoEntity(info, ""))
	return nil
}

func (s *Server) handleUpdateMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.user")
	if err != nil {
		return err
	}
	data := p.Required("data")
	if err := p.Err(); err != nil {
		return err
	}
	info, err := s.app.Users.UpdateData(r.Context(), barong.UserActor(c.User), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.fullInfoEntity(info, ""))
	return nil
}

func (s *Server) handleDeleteMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.user")
	if err != nil {
		return err
	}
	in := app.DeleteAccountInput{Password: p.Required("password")}
	in.OTPCode, in.OTPSent = p.NotBlank("otp_code")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Users.Delete(r.Context(), barong.UserActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.user")
	if err != nil {
		return err
	}
	in := app.ChangePasswordInput{Old: p.Required("old_password"), New: p.Required("new_password"),
		Confirm: p.Required("confirm_password")}
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Users.ChangePassword(r.Context(), barong.UserActor(c.User), s.callerSessionID(r, c), in, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.user")
	if err != nil {
		return err
	}
	q := app.ActivityQuery{Topic: r.PathValue("topic")}
	if strings.TrimSpace(q.Topic) == "" {
		p.missing = append(p.missing, p.key("empty", "topic"))
	}
	q.From, q.To = activityTimeParam(p, "time_from"), activityTimeParam(p, "time_to")
	if v, ok := p.raw("result"); ok {
		if q.Result, ok = v.(string); !ok {
			p.Invalid("resource.user.non_string_result")
		} else if strings.TrimSpace(q.Result) == "" {
			p.missing = append(p.missing, p.key("empty", "result"))
		}
	}
	q.Page = p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	acts, total, err := s.app.Activities.Own(r.Context(), barong.UserActor(c.User), q)
	if err != nil {
		return err
	}
	out := entities(acts, userActivityEntity)
	writeActivityPageHeaders(w, q.Page, total)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// callerSessionID is the id of the caller's own session: the cookie session
// of a direct call, or, behind a gateway (bearer JWT), the session cookie
// the gateway passed on when it belongs to the same user; "" otherwise.
func (s *Server) callerSessionID(r *http.Request, c *caller) string {
	if c.Session != nil {
		return c.Session.ID
	}
	id := s.sessionID(r)
	if id == "" {
		return ""
	}
	sess, err := s.sessions.Session(r.Context(), id)
	if err != nil || sess.UID != c.User.UID {
		return ""
	}
	return id
}

// activityTimeParam reads an optional time in seconds since the epoch:
// blank adds the empty_ key (400), anything but an integer the
// non_integer_ key (422).
func activityTimeParam(p *params, name string) time.Time {
	v, ok := p.raw(name)
	if !ok {
		return time.Time{}
	}
	s, isStr := asString(v)
	if isStr && strings.TrimSpace(s) == "" {
		p.missing = append(p.missing, p.key("empty", name))
		return time.Time{}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if !isStr || err != nil {
		p.Invalid(p.key("non_integer", name))
		return time.Time{}
	}
	return unixTime(n)
}

// writeActivityPageHeaders sends the pagination headers of a list (interface §8).
func writeActivityPageHeaders(w http.ResponseWriter, pg barong.Page, total int64) {
	h := w.Header()
	h.Set("Total", strconv.FormatInt(total, 10))
	h.Set("Page", strconv.Itoa(pg.Page))
	h.Set("Per-Page", strconv.Itoa(pg.Limit))
}

// userActivityEntity is Barong's Activity entity (user view).
func userActivityEntity(a *barong.Activity) entity.Activity { return entity.NewActivity(a) }
