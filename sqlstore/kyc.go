package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

// Profile states are stored as Barong's integer enum (reference §3.2).
var profileStates = map[string]int64{"drafted": 0, "submitted": 1, "verified": 3, "rejected": 4}

func profileStateCode(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	c, ok := profileStates[s]
	if !ok {
		return 0, fmt.Errorf("unknown profile state %q", s)
	}
	return c, nil
}

// profileState scans the integer enum into its name.
type profileState struct{ p *string }

func (ps profileState) Scan(src any) error {
	var c int64
	if err := (integer{&c}).Scan(src); err != nil {
		return err
	}
	for name, code := range profileStates {
		if code == c {
			*ps.p = name
			return nil
		}
	}
	return fmt.Errorf("unknown profile state code %d", c)
}

const profileCols = `id, user_id, author, applicant_id, first_name_encrypted, last_name_encrypted, dob_encrypted,
	address_encrypted, postcode, city, country, state, metadata, created_at, updated_at`

func (q queries) scanProfile(s scanner) (barong.Profile, error) {
	var p barong.Profile
	err := s.Scan(&p.ID, integer{&p.UserID}, str{&p.Author}, str{&p.ApplicantID}, q.decrypted(&p.FirstName),
		q.decrypted(&p.LastName), q.decrypted(&p.DOB), q.decrypted(&p.Address), str{&p.Postcode}, str{&p.City},
		str{&p.Country}, profileState{&p.State}, str{&p.Metadata}, timestamp{&p.CreatedAt}, timestamp{&p.UpdatedAt})
	return p, err
}

// profileArgs are the encrypted and plain column values of p after user_id.
func (q queries) profileArgs(p *barong.Profile) ([]any, error) {
	if p.State == "" {
		p.State = "drafted"
	}
	state, err := profileStateCode(p.State)
	if err != nil {
		return nil, err
	}
	args := []any{nullStr(p.Author), nullStr(p.ApplicantID)}
	for _, plain := range []string{p.FirstName, p.LastName, p.DOB, p.Address} {
		enc, err := q.encrypt(plain)
		if err != nil {
			return nil, err
		}
		args = append(args, nullStr(enc))
	}
	return append(args, nullStr(p.Postcode), nullStr(p.City), nullStr(p.Country), state, nullStr(p.Metadata)), nil
}

// ProfilesByUser lists a user's profiles by id.
func (q queries) ProfilesByUser(ctx context.Context, userID int64) ([]barong.Profile, error) {
	ps, err := list(ctx, q.r, q.scanProfile, "SELECT "+profileCols+" FROM profiles WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("profiles of user %d: %w", userID, err)
	}
	return ps, nil
}

// CreateProfile inserts p, encrypting the personal fields; an empty State
// is drafted.
func (q queries) CreateProfile(ctx context.Context, p *barong.Profile) error {
	args, err := q.profileArgs(p)
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO profiles (user_id, author, applicant_id, first_name_encrypted,
		last_name_encrypted, dob_encrypted, address_encrypted, postcode, city, country, state, metadata,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(append([]any{nullInt(p.UserID)}, args...), now, now)...)
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	return nil
}

// UpdateProfile writes every column of p.
func (q queries) UpdateProfile(ctx context.Context, p *barong.Profile) error {
	args, err := q.profileArgs(p)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE profiles SET user_id = ?, author = ?, applicant_id = ?,
		first_name_encrypted = ?, last_name_encrypted = ?, dob_encrypted = ?, address_encrypted = ?, postcode = ?,
		city = ?, country = ?, state = ?, metadata = ?, updated_at = ? WHERE id = ?`,
		append(append([]any{nullInt(p.UserID)}, args...), now, p.ID)...))
	if err := q.updated(ctx, n, err, "profiles", p.ID); err != nil {
		return err
	}
	p.UpdatedAt = now
	return nil
}

const phoneCols = `id, user_id, country, code, number_encrypted, validated_at, created_at, updated_at`

func (q queries) scanPhone(s scanner) (barong.Phone, error) {
	var p barong.Phone
	err := s.Scan(&p.ID, &p.UserID, &p.Country, str{&p.Code}, q.decrypted(&p.Number), nullTime{&p.ValidatedAt},
		timestamp{&p.CreatedAt}, timestamp{&p.UpdatedAt})
	return p, err
}

// PhonesByUser lists a user's phones by id.
func (q queries) PhonesByUser(ctx context.Context, userID int64) ([]barong.Phone, error) {
	ps, err := list(ctx, q.r, q.scanPhone, "SELECT "+phoneCols+" FROM phones WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("phones of user %d: %w", userID, err)
	}
	return ps, nil
}

// PhonesByNumber finds the phones of any user with exactly this number:
// rows are looked up by the salted CRC32 index, then the decrypted numbers
// are compared, since different numbers can share an index.
func (q queries) PhonesByNumber(ctx context.Context, number string) ([]barong.Phone, error) {
	ps, err := list(ctx, q.r, q.scanPhone, "SELECT "+phoneCols+" FROM phones WHERE number_index = ? ORDER BY id", q.index(number))
	if err != nil {
		return nil, fmt.Errorf("phones by number: %w", err)
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Number == number {
			out = append(out, p)
		}
	}
	return out, nil
}

// CreatePhone inserts p with the number encrypted and indexed.
func (q queries) CreatePhone(ctx context.Context, p *barong.Phone) error {
	enc, err := q.encrypt(p.Number)
	if err != nil {
		return fmt.Errorf("create phone: %w", err)
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO phones (user_id, country, code, number_encrypted, number_index, validated_at,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.UserID, p.Country, nullStr(p.Code), enc, q.index(p.Number), p.ValidatedAt, now, now)
	if err != nil {
		return fmt.Errorf("create phone: %w", err)
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	return nil
}

// UpdatePhone writes every column of p.
func (q queries) UpdatePhone(ctx context.Context, p *barong.Phone) error {
	enc, err := q.encrypt(p.Number)
	if err != nil {
		return fmt.Errorf("update phone: %w", err)
	}
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE phones SET user_id = ?, country = ?, code = ?, number_encrypted = ?,
		number_index = ?, validated_at = ?, updated_at = ? WHERE id = ?`,
		p.UserID, p.Country, nullStr(p.Code), enc, q.index(p.Number), p.ValidatedAt, now, p.ID))
	if err := q.updated(ctx, n, err, "phones", p.ID); err != nil {
		return err
	}
	p.UpdatedAt = now
	return nil
}

// DeletePhone deletes a phone.
func (q queries) DeletePhone(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "phones", id)
}

const documentCols = `id, user_id, upload, doc_type, doc_expire, doc_number_encrypted, doc_category, identificator,
	metadata, created_at, updated_at`

func (q queries) scanDocument(s scanner) (barong.Document, error) {
	var d barong.Document
	err := s.Scan(&d.ID, &d.UserID, str{&d.Upload}, str{&d.DocType}, date{&d.DocExpire}, q.decrypted(&d.DocNumber),
		str{&d.DocCategory}, str{&d.Identificator}, str{&d.Metadata}, timestamp{&d.CreatedAt}, timestamp{&d.UpdatedAt})
	return d, err
}

// DocumentsByUser lists a user's documents by id.
func (q queries) DocumentsByUser(ctx context.Context, userID int64) ([]barong.Document, error) {
	ds, err := list(ctx, q.r, q.scanDocument, "SELECT "+documentCols+" FROM documents WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("documents of user %d: %w", userID, err)
	}
	return ds, nil
}

// CountDocuments counts a user's documents.
func (q queries) CountDocuments(ctx context.Context, userID int64) (int64, error) {
	n, err := count(ctx, q.r, "SELECT COUNT(*) FROM documents WHERE user_id = ?", userID)
	if err != nil {
		return 0, fmt.Errorf("count documents of user %d: %w", userID, err)
	}
	return n, nil
}

// CreateDocument inserts d with the document number encrypted and indexed.
func (q queries) CreateDocument(ctx context.Context, d *barong.Document) error {
	enc, err := q.encrypt(d.DocNumber)
	if err != nil {
		return fmt.Errorf("create document: %w", err)
	}
	var idx any
	if d.DocNumber != "" {
		idx = q.index(d.DocNumber)
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO documents (user_id, upload, doc_type, doc_expire, doc_number_encrypted,
		doc_number_index, doc_category, identificator, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.UserID, nullStr(d.Upload), nullStr(d.DocType), nullStr(d.DocExpire), nullStr(enc), idx,
		nullStr(d.DocCategory), nullStr(d.Identificator), nullStr(d.Metadata), now, now)
	if err != nil {
		return fmt.Errorf("create document: %w", err)
	}
	d.ID, d.CreatedAt, d.UpdatedAt = id, now, now
	return nil
}
