package entity

import barong "github.com/barong-go/barong"

// User is Barong's User entity.
type User struct {
	Email       string  `json:"email"`
	UID         string  `json:"uid"`
	Role        string  `json:"role"`
	Level       int     `json:"level"`
	OTP         bool    `json:"otp"`
	State       string  `json:"state"`
	ReferralUID *string `json:"referral_uid"`
	Data        *string `json:"data"`
	Username    *string `json:"username"`
}

// NewUser is u's User entity; referralUID is the referrer's UID ("" for
// none).
func NewUser(u *barong.User, referralUID string) User {
	return User{Email: u.Email, UID: u.UID, Role: u.Role, Level: u.Level, OTP: u.OTP, State: u.State,
		ReferralUID: Null(referralUID), Data: Null(u.Data), Username: Null(u.Username)}
}

// UserPtr is NewUser for an optional user (nil renders as null).
func UserPtr(u *barong.User, referralUID string) *User {
	if u == nil {
		return nil
	}
	e := NewUser(u, referralUID)
	return &e
}

// UserWithProfile is Barong's UserWithProfile entity.
type UserWithProfile struct {
	User
	Profiles  []Profile `json:"profiles"`
	CreatedAt string    `json:"created_at"`
	UpdatedAt string    `json:"updated_at"`
}

// NewUserWithProfile is u with its profiles (never masked: admin and
// management views).
func NewUserWithProfile(u *barong.User, referralUID string, profiles []barong.Profile) UserWithProfile {
	return UserWithProfile{User: NewUser(u, referralUID), Profiles: Profiles(profiles, false),
		CreatedAt: Time(u.CreatedAt), UpdatedAt: Time(u.UpdatedAt)}
}

// UserWithKYC is Barong's UserWithKYC entity (admin and management views,
// never masked).
type UserWithKYC struct {
	User
	Profiles     []Profile     `json:"profiles"`
	Labels       []AdminLabel  `json:"labels"`
	Phones       []Phone       `json:"phones"`
	Documents    []Document    `json:"documents"`
	DataStorages []DataStorage `json:"data_storages"`
	Comments     []Comment     `json:"comments"`
	CreatedAt    string        `json:"created_at"`
	UpdatedAt    string        `json:"updated_at"`
}

// UserWithFullInfo is Barong's UserWithFullInfo entity (the resource and
// identity views of the user himself); CSRFToken is shown only in the
// answer that opens a session.
type UserWithFullInfo struct {
	Email        string        `json:"email"`
	UID          string        `json:"uid"`
	Role         string        `json:"role"`
	Level        int           `json:"level"`
	OTP          bool          `json:"otp"`
	State        string        `json:"state"`
	ReferralUID  *string       `json:"referral_uid"`
	Data         *string       `json:"data"`
	CSRFToken    *string       `json:"csrf_token,omitempty"`
	Username     *string       `json:"username"`
	Labels       []Label       `json:"labels"`
	Phones       []Phone       `json:"phones"`
	Profiles     []Profile     `json:"profiles"`
	DataStorages []DataStorage `json:"data_storages"`
	CreatedAt    string        `json:"created_at"`
	UpdatedAt    string        `json:"updated_at"`
}

// FullInfo are the records of UserWithFullInfo.
type FullInfo struct {
	Labels       []barong.Label
	Phones       []barong.Phone
	Profiles     []barong.Profile
	DataStorages []barong.DataStorage
}

// NewUserWithFullInfo is u with its records; csrf is "" but in the answer
// that opens a session; with mask, phones are masked by maskPhone and
// profiles as NewProfile masks them.
func NewUserWithFullInfo(u *barong.User, referralUID string, r FullInfo, csrf string, mask bool, maskPhone PhoneMask) UserWithFullInfo {
	if !mask {
		maskPhone = nil
	}
	return UserWithFullInfo{Email: u.Email, UID: u.UID, Role: u.Role, Level: u.Level, OTP: u.OTP, State: u.State,
		ReferralUID: Null(referralUID), Data: Null(u.Data), CSRFToken: Null(csrf), Username: Null(u.Username),
		Labels: List(r.Labels, NewLabel), Phones: Phones(r.Phones, maskPhone), Profiles: Profiles(r.Profiles, mask),
		DataStorages: List(r.DataStorages, NewDataStorage), CreatedAt: Time(u.CreatedAt), UpdatedAt: Time(u.UpdatedAt)}
}
