package barong

import (
	"context"
	"time"
)

// The reads and writes of the SQL store, one interface per aggregate
// (composed in Queries, below). What every method shares: a read of one
// row by its key returns ErrNotFound when there is none; an Update or
// Delete of a row by id returns ErrNotFound when the row is gone; a write
// refused by a unique index returns a *DuplicateError naming the field
// (errors.Is(err, ErrDuplicate)); lists return no error for no rows.
// Create methods set ID, CreatedAt and UpdatedAt; Update methods set
// UpdatedAt. Any other error is the database's, wrapped with context.
// Consumers that use a few methods declare an interface of their own with
// just those.

// UserQueries reads and writes users by their keys. UserByID, UserByUID,
// UserByEmail and UserByUsername return ErrNotFound for no such user;
// CreateUser and UpdateUser a *DuplicateError on the email, uid or
// username; UpdateUser ErrNotFound for an unknown ID.
type UserQueries interface {
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByUID(ctx context.Context, uid string) (*User, error)
	// UserByEmail matches case-insensitively.
	UserByEmail(ctx context.Context, email string) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	// UsersByIDs and UsersByUIDs load many users at once, in no particular
	// order; unknown ones are left out.
	UsersByIDs(ctx context.Context, ids []int64) ([]User, error)
	UsersByUIDs(ctx context.Context, uids []string) ([]User, error)
	CountUsers(ctx context.Context) (int64, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// UIDTaken reports whether a user or service account has uid.
	UIDTaken(ctx context.Context, uid string) (bool, error)
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

// UserSearchQueries are the user lists of the admin and management APIs
// (reference §8.1): each returns a page and the number of all matches,
// and no error for none.
type UserSearchQueries interface {
	ListUsers(ctx context.Context, f UserFilter) ([]User, int64, error)
	// ListLabeledUsers is ListUsers for the users having a label with key
	// f.LabelKey, where f.LabelValue and f.LabelScope "" match any value
	// and scope (management labels/filter/users).
	ListLabeledUsers(ctx context.Context, f UserFilter) ([]User, int64, error)
	// PendingDocumentUsers lists the users with the private label
	// document = pending or replaced, oldest label change first, narrowed
	// by f (f.Order and the label fields ignored).
	PendingDocumentUsers(ctx context.Context, f UserFilter) ([]User, int64, error)
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

// UserViewQueries read users' records from several tables at once, for
// the entities that show them.
type UserViewQueries interface {
	// UserView loads the user with this UID, the user's labels, phones,
	// profiles and data storages and the referrer's UID in one round trip
	// (ErrNotFound for an unknown UID).
	UserView(ctx context.Context, uid string) (*User, *UserRecords, error)
	// KYCRecordsByUsers loads the records of many users, by user id, in
	// one query per table; every id gets an entry.
	KYCRecordsByUsers(ctx context.Context, userIDs []int64) (map[int64]*KYCRecords, error)
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

// LabelQueries reads and writes users' labels. LabelByKey returns
// ErrNotFound for no such label; CreateLabel and UpdateLabel a
// *DuplicateError ("key") for a key the user has in that scope;
// UpdateLabel and DeleteLabel ErrNotFound for an unknown id.
type LabelQueries interface {
	// LabelsByUser lists a user's labels by created_at, id.
	LabelsByUser(ctx context.Context, userID int64) ([]Label, error)
	// LabelByKey finds a label; scope "" matches any scope (lowest id first).
	LabelByKey(ctx context.Context, userID int64, key, scope string) (*Label, error)
	CreateLabel(ctx context.Context, l *Label) error
	UpdateLabel(ctx context.Context, l *Label) error
	DeleteLabel(ctx context.Context, id int64) error
	// LabelCounts counts the labels matching f by key and value, ordered
	// by key and value.
	LabelCounts(ctx context.Context, f LabelCountFilter) ([]LabelCount, error)
}

// LevelQueries reads and writes the levels.
type LevelQueries interface {
	// Levels lists levels by id.
	Levels(ctx context.Context) ([]Level, error)
	CreateLevel(ctx context.Context, l *Level) error
}

// PermissionQueries reads and writes the RBAC rules (reference §7.4).
// PermissionByID returns ErrNotFound for no such permission, as
// UpdatePermission and DeletePermission for an unknown id.
type PermissionQueries interface {
	Permissions(ctx context.Context) ([]Permission, error)
	PermissionByID(ctx context.Context, id int64) (*Permission, error)
	CreatePermission(ctx context.Context, p *Permission) error
	UpdatePermission(ctx context.Context, p *Permission) error
	DeletePermission(ctx context.Context, id int64) error
	// RoleExists reports whether a permission names role.
	RoleExists(ctx context.Context, role string) (bool, error)
}

// RestrictionQueries reads and writes the IP, country and continent
// restrictions. RestrictionByID returns ErrNotFound for no such
// restriction, as UpdateRestriction and DeleteRestriction for an unknown
// id; CreateRestriction and UpdateRestriction a *DuplicateError ("value")
// for a scope, category and value stored already.
type RestrictionQueries interface {
	Restrictions(ctx context.Context) ([]Restriction, error)
	RestrictionByID(ctx context.Context, id int64) (*Restriction, error)
	CreateRestriction(ctx context.Context, r *Restriction) error
	UpdateRestriction(ctx context.Context, r *Restriction) error
	DeleteRestriction(ctx context.Context, id int64) error
}

// RulesQueries are the access rules that processes hold in memory
// (authz's snapshots): permissions, restrictions and their fingerprint.
type RulesQueries interface {
	PermissionQueries
	RestrictionQueries
	// RulesVersion is a cheap fingerprint of the permissions and
	// restrictions tables, for processes that hold them in memory.
	RulesVersion(ctx context.Context) (RulesVersion, error)
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

// DayCount is the number of rows of one UTC day (YYYY-MM-DD).
type DayCount struct {
	Day   string
	Count int64
}

// ActivityQueries writes and lists the activity records.
type ActivityQueries interface {
	CreateActivity(ctx context.Context, a *Activity) error
	// ListActivities returns a page ordered by id descending and the total.
	ListActivities(ctx context.Context, f ActivityFilter) ([]Activity, int64, error)
	// CountActivitiesByDay counts the activities matching f (f.Page
	// ignored) per UTC day of created_at, ordered by day.
	CountActivitiesByDay(ctx context.Context, f ActivityFilter) ([]DayCount, error)
}

// ProfileQueries reads and writes users' profiles (names, birth date and
// address encrypted with the Cipher). UpdateProfile returns ErrNotFound
// for an unknown id.
type ProfileQueries interface {
	ProfilesByUser(ctx context.Context, userID int64) ([]Profile, error)
	CreateProfile(ctx context.Context, p *Profile) error
	UpdateProfile(ctx context.Context, p *Profile) error
	// ListProfiles returns a page of all profiles by id and their number.
	ListProfiles(ctx context.Context, p Page) ([]Profile, int64, error)
	// ProfilesByUsers loads the profiles of many users, by user id.
	ProfilesByUsers(ctx context.Context, userIDs []int64) (map[int64][]Profile, error)
}

// PhoneQueries reads and writes users' phones (numbers encrypted with the
// Cipher, found by a salted index). UpdatePhone and DeletePhone return
// ErrNotFound for an unknown id.
type PhoneQueries interface {
	PhonesByUser(ctx context.Context, userID int64) ([]Phone, error)
	// PhonesByNumber finds phones of any user with exactly this number.
	PhonesByNumber(ctx context.Context, number string) ([]Phone, error)
	CreatePhone(ctx context.Context, p *Phone) error
	UpdatePhone(ctx context.Context, p *Phone) error
	DeletePhone(ctx context.Context, id int64) error
}

// DocumentQueries reads and writes users' KYC documents.
// UpdateDocumentMetadata returns ErrNotFound for an unknown id.
type DocumentQueries interface {
	DocumentsByUser(ctx context.Context, userID int64) ([]Document, error)
	CountDocuments(ctx context.Context, userID int64) (int64, error)
	CreateDocument(ctx context.Context, d *Document) error
	// UpdateDocumentMetadata replaces the metadata of document id.
	UpdateDocumentMetadata(ctx context.Context, id int64, metadata string) error
}

// DataStorageQueries reads and writes users' data storages.
// CreateDataStorage returns a *DuplicateError ("title") for a title the
// user has (case-insensitively); DeleteDataStorage ErrNotFound for an
// unknown id.
type DataStorageQueries interface {
	DataStoragesByUser(ctx context.Context, userID int64) ([]DataStorage, error)
	CreateDataStorage(ctx context.Context, d *DataStorage) error
	DeleteDataStorage(ctx context.Context, id int64) error
}

// CommentQueries reads and writes the admins' comments on users.
// CommentByID returns ErrNotFound for no such comment, as UpdateComment
// and DeleteComment for an unknown id.
type CommentQueries interface {
	CommentsByUser(ctx context.Context, userID int64) ([]Comment, error)
	CommentByID(ctx context.Context, id int64) (*Comment, error)
	CreateComment(ctx context.Context, c *Comment) error
	UpdateComment(ctx context.Context, c *Comment) error
	DeleteComment(ctx context.Context, id int64) error
}

// APIKeyQueries reads and writes the API keys of users and service
// accounts (secrets encrypted with the Cipher). APIKeyByKID returns
// ErrNotFound for no such key, as UpdateAPIKey and DeleteAPIKey for an
// unknown id; CreateAPIKey a *DuplicateError ("kid") for a kid in use.
type APIKeyQueries interface {
	APIKeyByKID(ctx context.Context, kid string) (*APIKey, error)
	APIKeysByHolder(ctx context.Context, holderType string, holderID int64, o Order, p Page) ([]APIKey, int64, error)
	CreateAPIKey(ctx context.Context, k *APIKey) error
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	DeleteAPIKey(ctx context.Context, id int64) error
	// DeactivateAPIKeys sets every active key of the holders to inactive.
	DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error
}

// ServiceAccountQueries reads and writes service accounts. The
// ServiceAccountBy methods return ErrNotFound for no such account, as
// UpdateServiceAccount for an unknown id; CreateServiceAccount and
// UpdateServiceAccount a *DuplicateError on the uid or email.
type ServiceAccountQueries interface {
	ServiceAccountByUID(ctx context.Context, uid string) (*ServiceAccount, error)
	ServiceAccountByEmail(ctx context.Context, email string) (*ServiceAccount, error)
	ServiceAccountByID(ctx context.Context, id int64) (*ServiceAccount, error)
	// ServiceAccountsByOwner lists by id; ownerID 0 lists all.
	ServiceAccountsByOwner(ctx context.Context, ownerID int64, p Page) ([]ServiceAccount, int64, error)
	CreateServiceAccount(ctx context.Context, s *ServiceAccount) error
	UpdateServiceAccount(ctx context.Context, s *ServiceAccount) error
}

// TOTPQueries keep the users' TOTP keys (a table otp_keys: user_id
// unique, secret encrypted with the Cipher, last_step, timestamps), which
// replace Barong's Vault TOTP engine.
type TOTPQueries interface {
	// TOTPSecret returns ErrNotFound when the user has none.
	TOTPSecret(ctx context.Context, userID int64) (string, error)
	// SetTOTPSecret creates or replaces the user's secret, resetting last_step.
	SetTOTPSecret(ctx context.Context, userID int64, secret string) error
	// UseTOTPStep records that the code of time step was accepted; it
	// reports false when that step (or a later one) was already used, so
	// each code is accepted once even across processes (atomic UPDATE ...
	// WHERE last_step < step); ErrNotFound when the user has no secret.
	UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error)
	// VaultTOTPKey names the user's key in Vault's TOTP engine, for a user
	// imported from Barong with 2FA who has not re-enrolled (SetTOTPSecret
	// drops it); ErrNotFound when the user has none.
	VaultTOTPKey(ctx context.Context, userID int64) (string, error)
}

// WebAuthnQueries keep the WebAuthn credentials (passkeys), table
// webauthn_credentials; the record is stored encrypted with the Cipher.
type WebAuthnQueries interface {
	// WebAuthnCredentialsByUser lists a user's credentials by id.
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

// DocumentBatch names the documents of one user uploaded with one
// identificator, and their number.
type DocumentBatch struct {
	UserID        int64
	DocType       string
	Identificator string
	Count         int
}

// KYCAIDQueries find the work of the KYCAID reconciler (app/kyc_kycaid.go) in
// the stored profiles and documents.
type KYCAIDQueries interface {
	// ProfilesAwaitingApplicant lists up to limit submitted profiles
	// without applicant_id, by id.
	ProfilesAwaitingApplicant(ctx context.Context, limit int) ([]Profile, error)
	// ProfileByApplicantID finds the profile with this KYCAID applicant
	// id; ErrNotFound when there is none.
	ProfileByApplicantID(ctx context.Context, applicantID string) (*Profile, error)
	// KYCAIDBatches lists up to limit batches (documents of one user, type
	// and identificator) of the given types, with at least the type's
	// count of documents (counts[docType]), whose user has a profile with
	// an applicant_id, and in which some document's metadata contains none
	// of the done markers (JSON keys), oldest batch first.
	KYCAIDBatches(ctx context.Context, counts map[string]int, doneKeys []string, limit int) ([]DocumentBatch, error)
}

// SetupTokenQueries keep the setup tokens (app/identity_setup.go): SHA-256 hex
// hashes of the one-time tokens that let a sign-up claim the first
// superadmin.
type SetupTokenQueries interface {
	CreateSetupToken(ctx context.Context, hash string, expires time.Time) error
	// SetupTokenHashes lists the hashes of the unexpired tokens.
	SetupTokenHashes(ctx context.Context) ([]string, error)
	// ConsumeSetupToken deletes the unexpired token with hash and, when
	// it did, every other one; it reports whether it did (once per token,
	// across processes).
	ConsumeSetupToken(ctx context.Context, hash string) (bool, error)
}
