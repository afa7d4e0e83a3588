package entity

import (
	"encoding/json"

	barong "github.com/barong-go/barong"
)

// The records of the Event API (Barong 2.7, reference §9): model events
// carry a record (without its null members: the Compact types) and, for
// updates, the changes (previous values of the members that changed,
// without updated_at and without those that were null); system events
// carry the user record with its nulls.

// UserRecord is the user of events, nulls kept.
type UserRecord struct {
	UID         string  `json:"uid"`
	Username    *string `json:"username"`
	Email       string  `json:"email"`
	Role        string  `json:"role"`
	Level       int     `json:"level"`
	OTP         bool    `json:"otp"`
	State       string  `json:"state"`
	ReferralUID *string `json:"referral_uid"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

// UserRecordCompact is UserRecord without its null members (model.user.*).
type UserRecordCompact struct {
	UID         string  `json:"uid"`
	Username    *string `json:"username,omitempty"`
	Email       string  `json:"email"`
	Role        string  `json:"role"`
	Level       int     `json:"level"`
	OTP         bool    `json:"otp"`
	State       string  `json:"state"`
	ReferralUID *string `json:"referral_uid,omitempty"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

// NewUserRecord is u's record; referralUID is the referrer's UID ("" for
// none).
func NewUserRecord(u *barong.User, referralUID string) UserRecord {
	return UserRecord{UID: u.UID, Username: Null(u.Username), Email: u.Email, Role: u.Role, Level: u.Level,
		OTP: u.OTP, State: u.State, ReferralUID: Null(referralUID), CreatedAt: Time(u.CreatedAt), UpdatedAt: Time(u.UpdatedAt)}
}

// Compact drops the null members.
func (r UserRecord) Compact() UserRecordCompact { return UserRecordCompact(r) }

// UserChanges are the changes of model.user.updated.
type UserChanges struct {
	UID         *string `json:"uid,omitempty"`
	Username    *string `json:"username,omitempty"`
	Email       *string `json:"email,omitempty"`
	Role        *string `json:"role,omitempty"`
	Level       *int    `json:"level,omitempty"`
	OTP         *bool   `json:"otp,omitempty"`
	State       *string `json:"state,omitempty"`
	ReferralUID *string `json:"referral_uid,omitempty"`
	CreatedAt   *string `json:"created_at,omitempty"`
}

// Empty tells whether no member changed.
func (c *UserChanges) Empty() bool { return *c == UserChanges{} }

// UserChangesFrom lists the members of prev that cur changed.
func UserChangesFrom(prev, cur *UserRecord) UserChanges {
	var c UserChanges
	c.UID = changedString(prev.UID, cur.UID)
	c.Username = changedNull(prev.Username, cur.Username)
	c.Email = changedString(prev.Email, cur.Email)
	c.Role = changedString(prev.Role, cur.Role)
	if prev.Level != cur.Level {
		v := prev.Level
		c.Level = &v
	}
	if prev.OTP != cur.OTP {
		v := prev.OTP
		c.OTP = &v
	}
	c.State = changedString(prev.State, cur.State)
	c.ReferralUID = changedNull(prev.ReferralUID, cur.ReferralUID)
	c.CreatedAt = changedString(prev.CreatedAt, cur.CreatedAt)
	return c
}

// changedString is &prev when cur differs.
func changedString(prev, cur string) *string {
	if prev == cur {
		return nil
	}
	return &prev
}

// changedNull is prev when it was not null and cur differs.
func changedNull(prev, cur *string) *string {
	if prev == nil || (cur != nil && *cur == *prev) {
		return nil
	}
	return prev
}

// LabelRecord is the label of events: model.label.* (compact) and
// system.document.verified/rejected (nulls kept).
type LabelRecord struct {
	ID          int64      `json:"id"`
	Key         string     `json:"key"`
	Value       string     `json:"value"`
	Description *string    `json:"description"`
	User        UserRecord `json:"user"`
}

// LabelRecordCompact is LabelRecord without its null members.
type LabelRecordCompact struct {
	ID          int64      `json:"id"`
	Key         string     `json:"key"`
	Value       string     `json:"value"`
	Description *string    `json:"description,omitempty"`
	User        UserRecord `json:"user"`
}

func NewLabelRecord(l *barong.Label, user UserRecord) LabelRecord {
	return LabelRecord{ID: l.ID, Key: l.Key, Value: l.Value, Description: Null(l.Description), User: user}
}

// Compact drops the null members.
func (r LabelRecord) Compact() LabelRecordCompact { return LabelRecordCompact(r) }

// LabelChanges are the changes of model.label.updated.
type LabelChanges struct {
	Value       *string `json:"value,omitempty"`
	Description *string `json:"description,omitempty"`
}

// ProfileRecord is the profile of model.profile.* (without state).
type ProfileRecord struct {
	User      UserRecord `json:"user"`
	FirstName *string    `json:"first_name"`
	LastName  *string    `json:"last_name"`
	DOB       *string    `json:"dob"`
	Address   *string    `json:"address"`
	Postcode  *string    `json:"postcode"`
	City      *string    `json:"city"`
	Country   *string    `json:"country"`
	Metadata  *string    `json:"metadata"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
}

// ProfileRecordCompact is ProfileRecord without its null members.
type ProfileRecordCompact struct {
	User      UserRecord `json:"user"`
	FirstName *string    `json:"first_name,omitempty"`
	LastName  *string    `json:"last_name,omitempty"`
	DOB       *string    `json:"dob,omitempty"`
	Address   *string    `json:"address,omitempty"`
	Postcode  *string    `json:"postcode,omitempty"`
	City      *string    `json:"city,omitempty"`
	Country   *string    `json:"country,omitempty"`
	Metadata  *string    `json:"metadata,omitempty"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
}

// NewProfileRecord is p's record; with mask, last_name and dob are masked
// as in the Profile entity.
func NewProfileRecord(p *barong.Profile, user UserRecord, mask bool) ProfileRecord {
	last, dob := p.LastName, p.DOB
	if mask {
		last, dob = MaskName(last), MaskDOB(dob)
	}
	return ProfileRecord{User: user, FirstName: Null(p.FirstName), LastName: Null(last), DOB: Null(dob),
		Address: Null(p.Address), Postcode: Null(p.Postcode), City: Null(p.City), Country: Null(p.Country),
		Metadata: Null(p.Metadata), CreatedAt: Time(p.CreatedAt), UpdatedAt: Time(p.UpdatedAt)}
}

// Compact drops the null members.
func (r ProfileRecord) Compact() ProfileRecordCompact { return ProfileRecordCompact(r) }

// ProfileChanges are the changes of model.profile.updated. The user is
// never among them: both records carry the same user.
type ProfileChanges struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	DOB       *string `json:"dob,omitempty"`
	Address   *string `json:"address,omitempty"`
	Postcode  *string `json:"postcode,omitempty"`
	City      *string `json:"city,omitempty"`
	Country   *string `json:"country,omitempty"`
	Metadata  *string `json:"metadata,omitempty"`
	CreatedAt *string `json:"created_at,omitempty"`
}

// ProfileChangesFrom lists the members of prev that cur changed.
func ProfileChangesFrom(prev, cur *ProfileRecord) ProfileChanges {
	var c ProfileChanges
	c.FirstName = changedNull(prev.FirstName, cur.FirstName)
	c.LastName = changedNull(prev.LastName, cur.LastName)
	c.DOB = changedNull(prev.DOB, cur.DOB)
	c.Address = changedNull(prev.Address, cur.Address)
	c.Postcode = changedNull(prev.Postcode, cur.Postcode)
	c.City = changedNull(prev.City, cur.City)
	c.Country = changedNull(prev.Country, cur.Country)
	c.Metadata = changedNull(prev.Metadata, cur.Metadata)
	c.CreatedAt = changedString(prev.CreatedAt, cur.CreatedAt)
	return c
}

// DocumentRecord is the document of model.document.created: upload is the
// link to the file, CGI-escaped.
type DocumentRecord struct {
	User      UserRecord `json:"user"`
	Upload    *string    `json:"upload,omitempty"`
	DocType   *string    `json:"doc_type,omitempty"`
	DocNumber *string    `json:"doc_number,omitempty"`
	DocExpire *string    `json:"doc_expire,omitempty"`
	Metadata  *string    `json:"metadata,omitempty"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
}

// NewDocumentRecord is d's record (null members dropped, as model events
// carry it); upload is the escaped link, the number masked with mask.
func NewDocumentRecord(d *barong.Document, user UserRecord, upload string, mask bool) DocumentRecord {
	num := d.DocNumber
	if mask {
		num = MaskDocNumber(num)
	}
	return DocumentRecord{User: user, Upload: Null(upload), DocType: Null(d.DocType), DocNumber: Null(num),
		DocExpire: Null(d.DocExpire), Metadata: Null(d.Metadata), CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt)}
}

// DataStorageRecord is the data storage of model.data_storage.created.
type DataStorageRecord struct {
	User      UserRecord `json:"user"`
	Title     string     `json:"title"`
	Data      string     `json:"data"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
}

func NewDataStorageRecord(d *barong.DataStorage, user UserRecord) DataStorageRecord {
	return DataStorageRecord{User: user, Title: d.Title, Data: d.Data, CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt)}
}

// The records of system events.

// UserEvent is {user}: system.user.account.deleted.
type UserEvent struct {
	User UserRecord `json:"user"`
}

// UserDomainEvent is {user, domain}: system.user.email.confirmed,
// system.user.password.reset, system.user.password.change.
type UserDomainEvent struct {
	User   UserRecord `json:"user"`
	Domain string     `json:"domain"`
}

// UserTokenEvent is {user, domain, token}:
// system.user.email.confirmation.token, system.user.password.reset.token.
type UserTokenEvent struct {
	User   UserRecord `json:"user"`
	Domain string     `json:"domain"`
	Token  string     `json:"token"`
}

// SessionCreateEvent is system.session.create.
type SessionCreateEvent struct {
	User      UserRecord `json:"user"`
	UserIP    string     `json:"user_ip"`
	UserAgent string     `json:"user_agent"`
}

// SessionRevokedEvent is system.session.revoked.
type SessionRevokedEvent struct {
	User      UserRecord `json:"user"`
	SessionID string     `json:"session_id"`
	UserIP    string     `json:"user_ip"`
	UserAgent string     `json:"user_agent"`
	CreatedAt string     `json:"created_at"`
	RevokedBy string     `json:"revoked_by"`
}

// Payload is an event's object: its record, then its changes when it has
// any (model updates). Events are encoded as Barong encodes them, with
// <, > and & escaped (\u003c...) whatever the encoder of the outbox does.
type Payload struct {
	Record  any `json:"record"`
	Changes any `json:"changes,omitempty"`
}

// MarshalJSON encodes p with json.Marshal (HTML-escaped).
func (p Payload) MarshalJSON() ([]byte, error) {
	type plain Payload
	return json.Marshal(plain(p))
}
