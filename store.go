package barong

import (
	"context"
	"time"
)

// Page selects a page of a list: Page from 1, Limit 1..100.
type Page struct {
	Page  int
	Limit int
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return (p.Page - 1) * p.Limit }

// Order sorts a list by a column, ascending unless Desc.
type Order struct {
	By   string
	Desc bool
}

// ActivityFilter selects activities of one user (resource API) or of all
// users (admin API, UserID 0).
type ActivityFilter struct {
	UserID    int64
	Category  string // "" = any
	Topic     string // "" = any
	Action    string
	Result    string
	TargetUID string
	From, To  time.Time // zero = unbounded; From inclusive, To exclusive
	Page      Page
}

// UserFilter selects users for admin and management lists.
type UserFilter struct {
	UID, Email, Role, State, Country, Username string
	Level                                      *int
	RangeField                                 string // created_at or updated_at
	From, To                                   time.Time
	LabelKey, LabelValue, LabelScope           string
	Order                                      Order
	Page                                       Page
}

// LabelCountFilter selects the labels LabelCounts counts: Scope, Key and
// Value "" match any; From and To bound updated_at, both inclusive (zero =
// unbounded).
type LabelCountFilter struct {
	Scope, Key, Value string
	From, To          time.Time
}

// LabelCount is the number of labels with one key and value.
type LabelCount struct {
	Key, Value string
	Count      int64
}

// DayCount is the number of rows of one UTC day (YYYY-MM-DD).
type DayCount struct {
	Day   string
	Count int64
}

// KYCRecords are the records of one user shown by the admin API's
// UserWithKYC view, each list in the order of its ...ByUser method.
type KYCRecords struct {
	Labels       []Label
	Phones       []Phone
	Profiles     []Profile
	Documents    []Document
	DataStorages []DataStorage
	Comments     []Comment
}

// DocumentBatch names the documents of one user uploaded with one
// identificator, and their number.
type DocumentBatch struct {
	UserID        int64
	DocType       string
	Identificator string
	Count         int
}

// Queries are the reads and writes of the SQL store. Methods return
// ErrNotFound for a missing row and a *DuplicateError for a unique
// violation. Create methods set ID, CreatedAt and UpdatedAt; Update methods
// set UpdatedAt.
type Queries interface {
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByUID(ctx context.Context, uid string) (*User, error)
	// UserByEmail matches case-insensitively.
	UserByEmail(ctx context.Context, email string) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	CountUsers(ctx context.Context) (int64, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// UIDTaken reports whether a user or service account has uid.
	UIDTaken(ctx context.Context, uid string) (bool, error)
	ListUsers(ctx context.Context, f UserFilter) ([]User, int64, error)
	// ListLabeledUsers is ListUsers for the users having a label with key
	// f.LabelKey, where f.LabelValue and f.LabelScope "" match any value
	// and scope (management labels/filter/users).
	ListLabeledUsers(ctx context.Context, f UserFilter) ([]User, int64, error)

	// LabelsByUser lists a user's labels by created_at, id.
	LabelsByUser(ctx context.Context, userID int64) ([]Label, error)
	// LabelByKey finds a label; scope "" matches any scope (lowest id first).
	LabelByKey(ctx context.Context, userID int64, key, scope string) (*Label, error)
	CreateLabel(ctx context.Context, l *Label) error
	UpdateLabel(ctx context.Context, l *Label) error
	DeleteLabel(ctx context.Context, id int64) error

	// Levels lists levels by id.
	Levels(ctx context.Context) ([]Level, error)
	CreateLevel(ctx context.Context, l *Level) error

	// RulesVersion is a cheap fingerprint of the permissions and
	// restrictions tables, for processes that hold them in memory.
	RulesVersion(ctx context.Context) (RulesVersion, error)
	Permissions(ctx context.Context) ([]Permission, error)
	PermissionByID(ctx context.Context, id int64) (*Permission, error)
	CreatePermission(ctx context.Context, p *Permission) error
	UpdatePermission(ctx context.Context, p *Permission) error
	DeletePermission(ctx context.Context, id int64) error
	RoleExists(ctx context.Context, role string) (bool, error)

	Restrictions(ctx context.Context) ([]Restriction, error)
	RestrictionByID(ctx context.Context, id int64) (*Restriction, error)
	CreateRestriction(ctx context.Context, r *Restriction) error
	UpdateRestriction(ctx context.Context, r *Restriction) error
	DeleteRestriction(ctx context.Context, id int64) error

	CreateActivity(ctx context.Context, a *Activity) error
	// ListActivities returns a page ordered by id descending and the total.
	ListActivities(ctx context.Context, f ActivityFilter) ([]Activity, int64, error)

	// UserView loads the user with this UID, the user's labels, phones,
	// profiles and data storages and the referrer's UID in one round trip
	// (ErrNotFound for an unknown UID).
	UserView(ctx context.Context, uid string) (*User, *UserRecords, error)

	ProfilesByUser(ctx context.Context, userID int64) ([]Profile, error)
	CreateProfile(ctx context.Context, p *Profile) error
	UpdateProfile(ctx context.Context, p *Profile) error

	PhonesByUser(ctx context.Context, userID int64) ([]Phone, error)
	// PhonesByNumber finds phones of any user with exactly this number.
	PhonesByNumber(ctx context.Context, number string) ([]Phone, error)
	CreatePhone(ctx context.Context, p *Phone) error
	UpdatePhone(ctx context.Context, p *Phone) error
	DeletePhone(ctx context.Context, id int64) error

	DocumentsByUser(ctx context.Context, userID int64) ([]Document, error)
	CountDocuments(ctx context.Context, userID int64) (int64, error)
	CreateDocument(ctx context.Context, d *Document) error

	DataStoragesByUser(ctx context.Context, userID int64) ([]DataStorage, error)
	CreateDataStorage(ctx context.Context, d *DataStorage) error
	DeleteDataStorage(ctx context.Context, id int64) error

	CommentsByUser(ctx context.Context, userID int64) ([]Comment, error)
	CommentByID(ctx context.Context, id int64) (*Comment, error)
	CreateComment(ctx context.Context, c *Comment) error
	UpdateComment(ctx context.Context, c *Comment) error
	DeleteComment(ctx context.Context, id int64) error

	APIKeyByKID(ctx context.Context, kid string) (*APIKey, error)
	APIKeysByHolder(ctx context.Context, holderType string, holderID int64, o Order, p Page) ([]APIKey, int64, error)
	CreateAPIKey(ctx context.Context, k *APIKey) error
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	DeleteAPIKey(ctx context.Context, id int64) error
	// DeactivateAPIKeys sets every active key of the holders to inactive.
	DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error

	// TOTP keys (a table otp_keys: user_id unique, secret encrypted with
	// the Cipher, last_step, timestamps) replace Barong's Vault TOTP engine.
	// TOTPSecret returns ErrNotFound when the user has none.
	TOTPSecret(ctx context.Context, userID int64) (string, error)
	// SetTOTPSecret creates or replaces the user's secret, resetting last_step.
	SetTOTPSecret(ctx context.Context, userID int64, secret string) error
	// UseTOTPStep records that the code of time step was accepted; it
	// reports false when that step (or a later one) was already used, so
	// each code is accepted once even across processes (atomic UPDATE ...
	// WHERE last_step < step).
	UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error)
	// VaultTOTPKey names the user's key in Vault's TOTP engine, for a user
	// imported from Barong with 2FA who has not re-enrolled (SetTOTPSecret
	// drops it); ErrNotFound when the user has none.
	VaultTOTPKey(ctx context.Context, userID int64) (string, error)

	// Admin reads (reference §8.1). PendingDocumentUsers lists the users
	// with the private label document = pending or replaced, oldest label
	// change first, narrowed by f (f.Order and the label fields ignored),
	// and the number of all matches.
	PendingDocumentUsers(ctx context.Context, f UserFilter) ([]User, int64, error)
	// UsersByIDs and UsersByUIDs load many users at once, in no particular
	// order; unknown ones are left out.
	UsersByIDs(ctx context.Context, ids []int64) ([]User, error)
	UsersByUIDs(ctx context.Context, uids []string) ([]User, error)
	// ListProfiles returns a page of all profiles by id and their number.
	ListProfiles(ctx context.Context, p Page) ([]Profile, int64, error)
	// ProfilesByUsers loads the profiles of many users, by user id.
	ProfilesByUsers(ctx context.Context, userIDs []int64) (map[int64][]Profile, error)
	// KYCRecordsByUsers loads the records of many users, by user id, in
	// one query per table; every id gets an entry.
	KYCRecordsByUsers(ctx context.Context, userIDs []int64) (map[int64]*KYCRecords, error)
	// LabelCounts counts the labels matching f by key and value, ordered
	// by key and value.
	LabelCounts(ctx context.Context, f LabelCountFilter) ([]LabelCount, error)
	// CountActivitiesByDay counts the activities matching f (f.Page
	// ignored) per UTC day of created_at, ordered by day.
	CountActivitiesByDay(ctx context.Context, f ActivityFilter) ([]DayCount, error)

	// KYCAID work (app/kycaid.go). ProfilesAwaitingApplicant lists up to
	// limit submitted profiles without applicant_id, by id.
	ProfilesAwaitingApplicant(ctx context.Context, limit int) ([]Profile, error)
	// ProfileByApplicantID finds the profile with this KYCAID applicant id.
	ProfileByApplicantID(ctx context.Context, applicantID string) (*Profile, error)
	// KYCAIDBatches lists up to limit batches (documents of one user, type
	// and identificator) of the given types, with at least the type's
	// count of documents (counts[docType]), whose user has a profile with
	// an applicant_id, and in which some document's metadata contains none
	// of the done markers (JSON keys), oldest batch first.
	KYCAIDBatches(ctx context.Context, counts map[string]int, doneKeys []string, limit int) ([]DocumentBatch, error)
	// UpdateDocumentMetadata replaces the metadata of document id.
	UpdateDocumentMetadata(ctx context.Context, id int64, metadata string) error

	// Setup tokens (app/setup.go): SHA-256 hex hashes of the one-time
	// tokens that let a sign-up claim the first superadmin.
	CreateSetupToken(ctx context.Context, hash string, expires time.Time) error
	// SetupTokenHashes lists the hashes of the unexpired tokens.
	SetupTokenHashes(ctx context.Context) ([]string, error)
	// ConsumeSetupToken deletes the unexpired token with hash and, when
	// it did, every other one; it reports whether it did (once per token,
	// across processes).
	ConsumeSetupToken(ctx context.Context, hash string) (bool, error)

	ServiceAccountByUID(ctx context.Context, uid string) (*ServiceAccount, error)
	ServiceAccountByEmail(ctx context.Context, email string) (*ServiceAccount, error)
	ServiceAccountByID(ctx context.Context, id int64) (*ServiceAccount, error)
	// ServiceAccountsByOwner lists by id; ownerID 0 lists all.
	ServiceAccountsByOwner(ctx context.Context, ownerID int64, p Page) ([]ServiceAccount, int64, error)
	CreateServiceAccount(ctx context.Context, s *ServiceAccount) error
	UpdateServiceAccount(ctx context.Context, s *ServiceAccount) error

	// WebAuthn credentials (passkeys), table webauthn_credentials; the
	// record is stored encrypted with the Cipher. WebAuthnCredentialsByUser
	// lists a user's credentials by id.
	WebAuthnCredentialsByUser(ctx context.Context, userID int64) ([]WebAuthnCredential, error)
	// WebAuthnCredentialByCredentialID finds a credential by its WebAuthn
	// credential id (base64url); ErrNotFound when unknown.
	WebAuthnCredentialByCredentialID(ctx context.Context, credentialID string) (*WebAuthnCredential, error)
	// CreateWebAuthnCredential inserts c; a credential id already stored
	// is a *DuplicateError.
	CreateWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error
	// RenameWebAuthnCredential renames credential id of userID
	// (ErrNotFound when the user has no such credential).
	RenameWebAuthnCredential(ctx context.Context, userID, id int64, name string) error
	// DeleteWebAuthnCredential deletes credential id of userID
	// (ErrNotFound when the user has no such credential).
	DeleteWebAuthnCredential(ctx context.Context, userID, id int64) error
	// UseWebAuthnCredential records a successful assertion: it stores
	// signCount and the use time when signCount is above the stored counter,
	// or both are zero (an authenticator without a counter). It reports
	// false when the stored counter is not below signCount (a replayed or
	// cloned authenticator's assertion; atomic across processes).
	UseWebAuthnCredential(ctx context.Context, id int64, signCount uint32) (bool, error)
}

// Tx is one database transaction: the queries plus the outbox.
type Tx interface {
	Queries
	// Now is the transaction's clock, truncated to the second.
	Now() time.Time
	// Emit writes ev to the outbox in this transaction; it is published
	// after commit, never for a rolled-back change.
	Emit(ctx context.Context, ev Event) error
	// LockUser reads the user and locks his row until the transaction ends
	// (SELECT ... FOR UPDATE by primary key; SQLite has a single writer).
	// Transactions that check or derive something from a user's records
	// (one open profile, labels → state and level, the document limit)
	// take it before they read them, so they run one after the other for
	// one user and never block another user's; reads after it see every
	// commit before it (READ COMMITTED). An unknown user is ErrNotFound.
	LockUser(ctx context.Context, userID int64) (*User, error)
}

// Store is the SQL database.
type Store interface {
	Queries
	// InTx runs fn in a transaction, committing when it returns nil. A
	// transaction that meets a deadlock or a serialization failure is run
	// again, fn included, a few times: fn must be safe to re-run (no effect
	// outside the transaction, nothing carried over from an attempt).
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// ReportChangesTo makes the store hand report the changes it commits
	// (changes.go) from now on, in or out of a transaction, once committed,
	// instead of to its own feed between processes. Call it before use.
	ReportChangesTo(report func(ctx context.Context, cs []Change))
}

// SessionStore keeps cookie sessions (SQL by default, Redis when configured).
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session, ttl time.Duration) error
	// Session returns ErrNotFound for an unknown or expired id.
	Session(ctx context.Context, id string) (*Session, error)
	// TouchSession stores s.ExpireTime and extends the record's lifetime.
	TouchSession(ctx context.Context, s *Session, ttl time.Duration) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions revokes every session of uid except exceptID.
	DeleteUserSessions(ctx context.Context, uid, exceptID string) error
	// UserSessions lists the live sessions of uid, newest first. Their ID
	// is empty (stores keep only its hash), IDHash is SessionHash(id), and
	// their CSRF token is left out.
	UserSessions(ctx context.Context, uid string) ([]Session, error)
	// DeleteUserSession revokes the session of uid whose id hashes to
	// idHash; it reports false when uid has no such live session.
	DeleteUserSession(ctx context.Context, uid, idHash string) (bool, error)
}

// KV holds short-lived markers and counters: used one-time tokens, the
// latest reset token, whitelink tokens, API-key nonces, throttle counters.
type KV interface {
	// SetNX stores value unless key exists; it reports whether it stored.
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// Get returns ErrNotFound for a missing or expired key.
	Get(ctx context.Context, key string) (string, error)
	Delete(ctx context.Context, key string) error
	// Incr adds one to a counter whose window of ttl starts at its first
	// increment, and returns the new count.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Decr takes one back from a live counter (never below zero, never
	// creating one) and keeps its window.
	Decr(ctx context.Context, key string) error
}

// Cipher encrypts secrets and personal data at rest.
type Cipher interface {
	Encrypt(plain string) (string, error)
	Decrypt(stored string) (string, error)
}
