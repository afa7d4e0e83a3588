package app

import (
	"context"
	"fmt"
	"time"

	barong "github.com/barong-go/barong"
)

// AdminActivityQuery filters the admin activity lists. UID and Email name
// the actor; "" matches anything. From and To (zero = unbounded) bound
// created_at, both inclusive.
type AdminActivityQuery struct {
	Topic, Action, UID, Email, TargetUID string
	From, To                             time.Time
	Page                                 barong.Page
}

// AdminActivity is an activity with its actor (the user of a user-category
// record, the admin of an admin-category one) and, for admin records, the
// target user (nil when none or unknown).
type AdminActivity struct {
	barong.Activity
	Actor       *barong.User
	ActorRefUID string
	Target      *barong.User
	TargetRef   string
}

// AdminList is GET /admin/activities (category user) and GET
// /admin/activities/admin (category admin): a page of the matching
// activities, newest first, with their users, and their number. An unknown
// uid or e-mail matches nothing. The users are loaded in one query per
// page, not per row.
func (s *Activities) AdminList(ctx context.Context, actor barong.Actor, category string, q AdminActivityQuery) ([]AdminActivity, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelActivity); err != nil {
		return nil, 0, err
	}
	f := barong.ActivityFilter{Category: category, Topic: q.Topic, Action: q.Action, TargetUID: q.TargetUID,
		From: q.From, Page: q.Page}
	if !q.To.IsZero() {
		f.To = q.To.Add(time.Second) // the store's To is exclusive
	}
	for _, by := range []struct {
		v    string
		load func(context.Context, string) (*barong.User, error)
	}{{q.UID, s.store.UserByUID}, {q.Email, s.store.UserByEmail}} {
		if by.v == "" {
			continue
		}
		u, err := by.load(ctx, by.v)
		if isNotFound(err) || (err == nil && f.UserID != 0 && f.UserID != u.ID) {
			return []AdminActivity{}, 0, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("load actor: %w", err)
		}
		f.UserID = u.ID
	}
	acts, total, err := s.store.ListActivities(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	out, err := s.withActivityUsers(ctx, acts)
	return out, total, err
}

// withActivityUsers attaches actors and targets to acts.
func (s *core) withActivityUsers(ctx context.Context, acts []barong.Activity) ([]AdminActivity, error) {
	var ids []int64
	var uids []string
	for _, a := range acts {
		ids = append(ids, a.UserID)
		if a.TargetUID != "" {
			uids = append(uids, a.TargetUID)
		}
	}
	users, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load activity users: %w", err)
	}
	if len(uids) > 0 {
		targets, err := s.store.UsersByUIDs(ctx, uids)
		if err != nil {
			return nil, fmt.Errorf("load activity targets: %w", err)
		}
		users = append(users, targets...)
	}
	refs, err := s.referralUIDs(ctx, users)
	if err != nil {
		return nil, err
	}
	byID, byUID := map[int64]*barong.User{}, map[string]*barong.User{}
	for i := range users {
		byID[users[i].ID], byUID[users[i].UID] = &users[i], &users[i]
	}
	out := make([]AdminActivity, len(acts))
	for i, a := range acts {
		out[i] = AdminActivity{Activity: a, Actor: byID[a.UserID]}
		if out[i].Actor != nil {
			out[i].ActorRefUID = refs[out[i].Actor.ReferralID]
		}
		if t := byUID[a.TargetUID]; a.TargetUID != "" && t != nil {
			out[i].Target, out[i].TargetRef = t, refs[t.ReferralID]
		}
	}
	return out, nil
}

// Metrics is the body of GET /admin/metrics: per-day counts of successful
// sign-ups, successful and failed logins, and the number of pending
// document reviews.
type Metrics struct {
	Signups, SuccessfulLogins, FailedLogins []barong.DayCount
	PendingApplications                     int64
}

// AdminMetrics is GET /admin/metrics. Barong ignores its created_from and
// created_to filters (reference §12.4 item 12); barong-go bounds the
// activity days by them (zero = unbounded, both inclusive) and counts the
// private document = pending labels last changed within them.
func (s *Activities) AdminMetrics(ctx context.Context, actor barong.Actor, from, to time.Time) (*Metrics, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, err
	}
	f := barong.ActivityFilter{Category: barong.CategoryUser, From: from}
	if !to.IsZero() {
		f.To = to.Add(time.Second)
	}
	m := &Metrics{}
	for _, c := range []struct {
		topic, action, result string
		dst                   *[]barong.DayCount
	}{
		{"account", "signup", barong.ResultSucceed, &m.Signups},
		{"session", "login", barong.ResultSucceed, &m.SuccessfulLogins},
		{"session", "login", barong.ResultFailed, &m.FailedLogins},
	} {
		cf := f
		cf.Topic, cf.Action, cf.Result = c.topic, c.action, c.result
		days, err := s.store.CountActivitiesByDay(ctx, cf)
		if err != nil {
			return nil, fmt.Errorf("count %s/%s: %w", c.topic, c.action, err)
		}
		*c.dst = days
	}
	cs, err := s.store.LabelCounts(ctx, barong.LabelCountFilter{Scope: barong.ScopePrivate, Key: "document",
		Value: "pending", From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("count pending documents: %w", err)
	}
	for _, c := range cs {
		m.PendingApplications += c.Count
	}
	return m, nil
}
