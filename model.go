package barong

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// User states and roles Barong uses by name (reference §3.2).
const (
	StatePending = "pending"
	StateActive  = "active"
	StateBanned  = "banned"
	StateDeleted = "deleted"
	StateLocked  = "locked"

	RoleMember     = "member"
	RoleSuperadmin = "superadmin"

	ScopePublic  = "public"
	ScopePrivate = "private"
)

// User is a row of users (reference §3.1). Empty strings and zero ids stand
// for SQL NULL in the nullable columns (Username, Data, ReferralID).
type User struct {
	ID             int64
	UID            string
	Username       string
	Email          string
	PasswordDigest string
	Role           string
	Data           string
	Level          int
	OTP            bool
	State          string
	ReferralID     int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CanSignIn reports whether the state lets the user log in or pass authz.
func (u *User) CanSignIn() bool { return u.State == StateActive || u.State == StatePending }

// Label is a key/value tag of a user; private labels drive level and state.
type Label struct {
	ID          int64
	UserID      int64
	Key         string
	Value       string
	Scope       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Level is a row of levels; its ID is the level number.
type Level struct {
	ID          int64
	Key         string
	Value       string
	Description string
}

// RulesVersion fingerprints the permissions and restrictions tables: any
// insert or delete changes a count or a largest id, any update the latest
// updated_at — unless it falls in the second of the latest one already
// seen, which is why a reader keeps reloading while LatestUpdate is recent.
type RulesVersion struct {
	Permissions, Restrictions         int64
	MaxPermissionID, MaxRestrictionID int64
	LatestUpdate                      time.Time
}

// Permission is an RBAC rule (reference §7.4).
type Permission struct {
	ID        int64
	Action    string // ACCEPT, DROP, AUDIT
	Role      string
	Verb      string // GET ... or ALL
	Path      string
	Topic     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Restriction is an IP/country/continent rule (reference §7.1).
type Restriction struct {
	ID        int64
	Category  string // whitelist, maintenance, blacklist, blocklogin
	Scope     string // all, ip, ip_subnet, continent, country
	Value     string
	Code      int
	State     string // enabled, disabled
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Profile is a KYC profile; the personal fields are encrypted at rest.
type Profile struct {
	ID          int64
	UserID      int64
	Author      string
	ApplicantID string
	FirstName   string
	LastName    string
	DOB         string // YYYY-MM-DD or ""
	Address     string
	Postcode    string
	City        string
	Country     string
	State       string // drafted, submitted, verified, rejected
	Metadata    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Phone is a user's phone number (digits only, E.164 without '+').
type Phone struct {
	ID          int64
	UserID      int64
	Country     string
	Code        string
	Number      string
	ValidatedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Document is one uploaded KYC file.
type Document struct {
	ID            int64
	UserID        int64
	Upload        string // stored file name / object key
	DocType       string
	DocExpire     string // YYYY-MM-DD or ""
	DocNumber     string
	DocCategory   string
	Identificator string
	Metadata      string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// DataStorage is a titled JSON blob of a user.
type DataStorage struct {
	ID        int64
	UserID    int64
	Title     string
	Data      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Comment is an admin note on a user.
type Comment struct {
	ID        int64
	UserID    int64
	AuthorUID string
	Title     string
	Data      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Key holder types of API keys.
const (
	HolderUser           = "User"
	HolderServiceAccount = "ServiceAccount"
)

// APIKey is an HMAC key; Secret is plain in memory and encrypted at rest.
type APIKey struct {
	ID         int64
	HolderID   int64
	HolderType string
	KID        string
	Algorithm  string
	Scope      []string
	Secret     string
	State      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ServiceAccount is a non-login principal owned by a user.
type ServiceAccount struct {
	ID        int64
	UID       string
	OwnerID   int64
	Email     string
	Role      string
	Level     int
	State     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Activity categories and results.
const (
	CategoryUser  = "user"
	CategoryAdmin = "admin"

	ResultSucceed = "succeed"
	ResultFailed  = "failed"
	ResultDenied  = "denied"
)

// Activity is an immutable audit record.
type Activity struct {
	ID            int64
	UserID        int64
	TargetUID     string
	Category      string
	UserIP        string
	UserIPCountry string
	UserAgent     string
	Topic         string
	Action        string
	Result        string
	Data          string
	CreatedAt     time.Time
}

// Session is a server-side cookie session (interface §5). ID is the cookie
// value; stores keep only its hash.
type Session struct {
	ID         string
	UID        string
	UserIP     string
	UserAgent  string
	CSRFToken  string
	ExpireTime int64 // unix seconds; idle expiry, slid on use
	CreatedAt  time.Time
	// IDHash is SessionHash(ID); set by UserSessions, whose sessions have
	// no ID.
	IDHash string
}

// SessionHash is the form of a session id that stores keep and APIs show,
// and the key of a session in a Change: hex SHA-256 of the cookie value.
func SessionHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// WebAuthnCredential is a registered passkey of a user. CredentialID and
// UserHandle are base64url (no padding); Record is the relying-party
// library's credential record (JSON: public key, flags, authenticator),
// stored encrypted.
type WebAuthnCredential struct {
	ID           int64
	UserID       int64
	CredentialID string
	UserHandle   string
	Name         string
	Record       string
	SignCount    uint32
	LastUsedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserRecords are the records shown with a user in Barong's full user
// entities, in their list order.
type UserRecords struct {
	ReferralUID  string
	Labels       []Label
	Phones       []Phone
	Profiles     []Profile
	DataStorages []DataStorage
}

// Event is an Event API message (interface §6). Payload must marshal to a
// JSON object (an ordered struct keeps Barong's member order); the outbox
// appends the "name" member.
type Event struct {
	Name    string
	Payload any
}

// OutboxEvent is an event waiting in the outbox.
type OutboxEvent struct {
	ID        int64
	Name      string
	Body      []byte // JSON of the event object, with "name"
	CreatedAt time.Time
}

// GenerateUID returns an upper-cased prefix followed by 10 upper-case hex
// characters (5 random bytes), Barong's UID format (reference §3.3).
func GenerateUID(prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return strings.ToUpper(prefix) + strings.ToUpper(hex.EncodeToString(b[:]))
}
