package entity

import barong "github.com/barong-go/barong"

// Label is Barong's Label entity.
type Label struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	Scope     string `json:"scope"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func NewLabel(l *barong.Label) Label {
	return Label{Key: l.Key, Value: l.Value, Scope: l.Scope, CreatedAt: Time(l.CreatedAt), UpdatedAt: Time(l.UpdatedAt)}
}

// AdminLabel is Barong's AdminLabelView entity (admin and management).
type AdminLabel struct {
	Key         string  `json:"key"`
	Value       string  `json:"value"`
	Scope       string  `json:"scope"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

func NewAdminLabel(l *barong.Label) AdminLabel {
	return AdminLabel{Key: l.Key, Value: l.Value, Scope: l.Scope, Description: Null(l.Description),
		CreatedAt: Time(l.CreatedAt), UpdatedAt: Time(l.UpdatedAt)}
}

// PhoneMask masks a phone number of a country (the api's numbering-plan
// rule); nil leaves numbers as they are.
type PhoneMask func(number, country string) string

// Phone is Barong's Phone entity; validated_at keeps Rails' millisecond
// form.
type Phone struct {
	Country     string  `json:"country"`
	Number      string  `json:"number"`
	ValidatedAt *string `json:"validated_at"`
}

// NewPhone is p's entity, its number masked by mask unless nil.
func NewPhone(p *barong.Phone, mask PhoneMask) Phone {
	e := Phone{Country: p.Country, Number: p.Number}
	if p.ValidatedAt != nil {
		v := TimeMillis(*p.ValidatedAt)
		e.ValidatedAt = &v
	}
	if mask != nil {
		e.Number = mask(e.Number, p.Country)
	}
	return e
}

// Phones renders ps with NewPhone (never nil).
func Phones(ps []barong.Phone, mask PhoneMask) []Phone {
	out := make([]Phone, 0, len(ps))
	for i := range ps {
		out = append(out, NewPhone(&ps[i], mask))
	}
	return out
}

// Profile is Barong's Profile entity.
type Profile struct {
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	DOB       *string `json:"dob"`
	Address   *string `json:"address"`
	Postcode  *string `json:"postcode"`
	City      *string `json:"city"`
	Country   *string `json:"country"`
	State     string  `json:"state"`
	Metadata  *string `json:"metadata"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

// NewProfile is p's entity; with mask, last_name and dob are masked
// (MaskName, MaskDOB).
func NewProfile(p *barong.Profile, mask bool) Profile {
	last, dob := p.LastName, p.DOB
	if mask {
		last, dob = MaskName(last), MaskDOB(dob)
	}
	return Profile{FirstName: Null(p.FirstName), LastName: Null(last), DOB: Null(dob), Address: Null(p.Address),
		Postcode: Null(p.Postcode), City: Null(p.City), Country: Null(p.Country), State: p.State,
		Metadata: Null(p.Metadata), CreatedAt: Time(p.CreatedAt), UpdatedAt: Time(p.UpdatedAt)}
}

// Profiles renders ps with NewProfile (never nil).
func Profiles(ps []barong.Profile, mask bool) []Profile {
	out := make([]Profile, 0, len(ps))
	for i := range ps {
		out = append(out, NewProfile(&ps[i], mask))
	}
	return out
}

// DataStorage is Barong's DataStorage entity.
type DataStorage struct {
	Title     string `json:"title"`
	Data      string `json:"data"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func NewDataStorage(d *barong.DataStorage) DataStorage {
	return DataStorage{Title: d.Title, Data: d.Data, CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt)}
}

// Upload is the upload member of Document: the link to the file.
type Upload struct {
	URL *string `json:"url"`
}

// Document is Barong's Document entity (admin and management: the number
// unmasked).
type Document struct {
	Upload    Upload  `json:"upload"`
	DocType   *string `json:"doc_type"`
	DocNumber *string `json:"doc_number"`
	DocExpire *string `json:"doc_expire"`
	Metadata  *string `json:"metadata"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

// NewDocument is d's entity; url links to its file ("" for none).
func NewDocument(d *barong.Document, url string) Document {
	return Document{Upload: Upload{Null(url)}, DocType: Null(d.DocType), DocNumber: Null(d.DocNumber),
		DocExpire: Null(d.DocExpire), Metadata: Null(d.Metadata), CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt)}
}

// UserDocument is the Document of the user's own list: upload, doc_type,
// doc_number (masked with mask), doc_expire.
type UserDocument struct {
	Upload    Upload  `json:"upload"`
	DocType   *string `json:"doc_type"`
	DocNumber *string `json:"doc_number"`
	DocExpire *string `json:"doc_expire"`
}

func NewUserDocument(d *barong.Document, url string, mask bool) UserDocument {
	num := d.DocNumber
	if mask {
		num = MaskDocNumber(num)
	}
	return UserDocument{Upload: Upload{Null(url)}, DocType: Null(d.DocType), DocNumber: Null(num), DocExpire: Null(d.DocExpire)}
}

// Comment is Barong's Comment entity.
type Comment struct {
	ID        int64  `json:"id"`
	AuthorUID string `json:"author_uid"`
	Title     string `json:"title"`
	Data      string `json:"data"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func NewComment(c *barong.Comment) Comment {
	return Comment{ID: c.ID, AuthorUID: c.AuthorUID, Title: c.Title, Data: c.Data,
		CreatedAt: Time(c.CreatedAt), UpdatedAt: Time(c.UpdatedAt)}
}
