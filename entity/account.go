package entity

import (
	"time"

	barong "github.com/barong-go/barong"
)

// APIKey is Barong's APIKey entity; Secret is shown only in the answer
// that creates the key.
type APIKey struct {
	KID       string   `json:"kid"`
	Algorithm string   `json:"algorithm"`
	Scope     []string `json:"scope"`
	State     string   `json:"state"`
	Secret    *string  `json:"secret,omitempty"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

// NewAPIKey is k's entity, with its secret when withSecret.
func NewAPIKey(k *barong.APIKey, withSecret bool) APIKey {
	scope := k.Scope
	if scope == nil {
		scope = []string{}
	}
	e := APIKey{KID: k.KID, Algorithm: k.Algorithm, Scope: scope, State: k.State,
		CreatedAt: Time(k.CreatedAt), UpdatedAt: Time(k.UpdatedAt)}
	if withSecret {
		secret := k.Secret
		e.Secret = &secret
	}
	return e
}

// ServiceAccount is Barong's ServiceAccounts entity (management): the
// account and its owner as a User (null without one).
type ServiceAccount struct {
	Email     string `json:"email"`
	UID       string `json:"uid"`
	Role      string `json:"role"`
	Level     int    `json:"level"`
	State     string `json:"state"`
	User      *User  `json:"user"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// NewServiceAccount is sa's entity with its owner (nil for none).
func NewServiceAccount(sa *barong.ServiceAccount, owner *barong.User, ownerReferralUID string) ServiceAccount {
	return ServiceAccount{Email: sa.Email, UID: sa.UID, Role: sa.Role, Level: sa.Level, State: sa.State,
		User: UserPtr(owner, ownerReferralUID), CreatedAt: Time(sa.CreatedAt), UpdatedAt: Time(sa.UpdatedAt)}
}

// ServiceAccountRow is the service account as Barong lists it to its
// owner: the table row, without an entity. Times are whole seconds where
// Barong's raw rows carry milliseconds.
type ServiceAccountRow struct {
	ID        int64  `json:"id"`
	UID       string `json:"uid"`
	OwnerID   *int64 `json:"owner_id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	Level     int    `json:"level"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func NewServiceAccountRow(sa *barong.ServiceAccount) ServiceAccountRow {
	e := ServiceAccountRow{ID: sa.ID, UID: sa.UID, Email: sa.Email, Role: sa.Role, Level: sa.Level, State: sa.State,
		CreatedAt: Time(sa.CreatedAt), UpdatedAt: Time(sa.UpdatedAt)}
	if sa.OwnerID != 0 {
		owner := sa.OwnerID
		e.OwnerID = &owner
	}
	return e
}

// ActivityFields are the members the three activity entities share, in
// Barong's order; embedded, encoding/json writes them where the embedding
// stands.
type ActivityFields struct {
	UserIP        string  `json:"user_ip"`
	UserIPCountry *string `json:"user_ip_country"`
	UserAgent     string  `json:"user_agent"`
	Topic         string  `json:"topic"`
	Action        string  `json:"action"`
	Result        string  `json:"result"`
	Data          *string `json:"data"`
}

func newActivityFields(a *barong.Activity) ActivityFields {
	return ActivityFields{UserIP: a.UserIP, UserIPCountry: Null(a.UserIPCountry), UserAgent: a.UserAgent,
		Topic: a.Topic, Action: a.Action, Result: a.Result, Data: Null(a.Data)}
}

// Activity is Barong's Activity entity (the user's own view).
type Activity struct {
	ID int64 `json:"id"`
	ActivityFields
	CreatedAt string `json:"created_at"`
}

func NewActivity(a *barong.Activity) Activity {
	return Activity{ID: a.ID, ActivityFields: newActivityFields(a), CreatedAt: Time(a.CreatedAt)}
}

// ActivityWithUser is Barong's ActivityWithUser entity (admin, user
// category).
type ActivityWithUser struct {
	ActivityFields
	User      *User  `json:"user"`
	CreatedAt string `json:"created_at"`
}

// AdminActivity is Barong's AdminActivity entity (admin category): the
// actor as admin, and the target.
type AdminActivity struct {
	ActivityFields
	Admin     *User  `json:"admin"`
	Target    *User  `json:"target"`
	CreatedAt string `json:"created_at"`
}

// NewActivityWithUser is a (user category) with its user (nil for none).
func NewActivityWithUser(a *barong.Activity, user *User) ActivityWithUser {
	return ActivityWithUser{ActivityFields: newActivityFields(a), User: user, CreatedAt: Time(a.CreatedAt)}
}

// NewAdminActivity is a (admin category) with its actor and target (nil
// for none).
func NewAdminActivity(a *barong.Activity, admin, target *User) AdminActivity {
	return AdminActivity{ActivityFields: newActivityFields(a), Admin: admin, Target: target, CreatedAt: Time(a.CreatedAt)}
}

// Session is a listed session: id (hash of the session id), login IP, its
// country (null when unknown), user agent, whether it is the caller's
// session, creation and last use.
type Session struct {
	ID            string  `json:"id"`
	UserIP        string  `json:"user_ip"`
	UserIPCountry *string `json:"user_ip_country"`
	UserAgent     string  `json:"user_agent"`
	Current       bool    `json:"current"`
	CreatedAt     string  `json:"created_at"`
	LastSeenAt    string  `json:"last_seen_at"`
}

// NewSession is s's entity; country is the GeoIP name of its IP ("" when
// unknown).
func NewSession(s *barong.Session, country string, current bool, lastSeen time.Time) Session {
	return Session{ID: s.IDHash, UserIP: s.UserIP, UserIPCountry: Null(country), UserAgent: s.UserAgent,
		Current: current, CreatedAt: Time(s.CreatedAt), LastSeenAt: Time(lastSeen)}
}

// Passkey is a registered passkey: id (for rename and delete), name, the
// WebAuthn credential id (base64url), the authenticator's AAGUID,
// transports, backup eligibility and state, creation and last use.
type Passkey struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	CredentialID   string   `json:"credential_id"`
	AAGUID         *string  `json:"aaguid"`
	Transports     []string `json:"transports"`
	BackupEligible bool     `json:"backup_eligible"`
	BackedUp       bool     `json:"backed_up"`
	CreatedAt      string   `json:"created_at"`
	LastUsedAt     *string  `json:"last_used_at"`
}

// NewPasskey is c's entity with what its record tells of the authenticator.
func NewPasskey(c *barong.WebAuthnCredential, aaguid string, transports []string, backupEligible, backedUp bool) Passkey {
	e := Passkey{ID: c.ID, Name: c.Name, CredentialID: c.CredentialID, AAGUID: Null(aaguid), Transports: transports,
		BackupEligible: backupEligible, BackedUp: backedUp, CreatedAt: Time(c.CreatedAt)}
	if c.LastUsedAt != nil {
		used := Time(*c.LastUsedAt)
		e.LastUsedAt = &used
	}
	return e
}

// Permission is Barong's Permission entity.
type Permission struct {
	ID        int64   `json:"id"`
	Action    string  `json:"action"`
	Role      string  `json:"role"`
	Verb      string  `json:"verb"`
	Path      string  `json:"path"`
	Topic     *string `json:"topic"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func NewPermission(p *barong.Permission) Permission {
	return Permission{ID: p.ID, Action: p.Action, Role: p.Role, Verb: p.Verb, Path: p.Path, Topic: Null(p.Topic),
		CreatedAt: Time(p.CreatedAt), UpdatedAt: Time(p.UpdatedAt)}
}

// Restriction is Barong's Restriction entity.
type Restriction struct {
	ID        int64  `json:"id"`
	Category  string `json:"category"`
	Scope     string `json:"scope"`
	Value     string `json:"value"`
	Code      int    `json:"code"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func NewRestriction(r *barong.Restriction) Restriction {
	return Restriction{ID: r.ID, Category: r.Category, Scope: r.Scope, Value: r.Value, Code: r.Code, State: r.State,
		CreatedAt: Time(r.CreatedAt), UpdatedAt: Time(r.UpdatedAt)}
}

// Level is Barong's Level entity.
type Level struct {
	ID    int64   `json:"id"`
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

func NewLevel(l *barong.Level) Level { return Level{ID: l.ID, Key: l.Key, Value: Null(l.Value)} }
