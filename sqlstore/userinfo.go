package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/barong-go/barong"
)

// userRecordsSQL reads a user's labels, phones, profiles, data storages and
// the referrer's UID in ONE round trip: a UNION ALL over a common row shape
// (kind, id, ten text columns, one integer, three timestamps). NULL text
// and timestamp placeholders take their types from other branches; the
// integer column is 0 outside profiles, since PostgreSQL would otherwise
// type two leading NULLs as text.
const userRecordsSQL = `
SELECT 1 AS kind, id, "key" AS s1, value AS s2, scope AS s3, description AS s4, NULL AS s5, NULL AS s6, NULL AS s7,
	NULL AS s8, NULL AS s9, NULL AS s10, 0 AS n1, created_at AS t1, updated_at AS t2, NULL AS t3
	FROM labels WHERE user_id = ?
UNION ALL
SELECT 2, id, country, code, number_encrypted, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, created_at, updated_at, validated_at
	FROM phones WHERE user_id = ?
UNION ALL
SELECT 3, id, author, applicant_id, first_name_encrypted, last_name_encrypted, dob_encrypted, address_encrypted,
	postcode, city, country, metadata, state, created_at, updated_at, NULL
	FROM profiles WHERE user_id = ?
UNION ALL
SELECT 4, id, title, data, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, created_at, updated_at, NULL
	FROM data_storages WHERE user_id = ?
UNION ALL
SELECT 5, id, uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, created_at, updated_at, NULL
	FROM users WHERE id = ?
ORDER BY 1, 14, 2`

// UserRecords loads what the user entities show besides the user row, in
// one database round trip.
func (q queries) UserRecords(ctx context.Context, userID, referralID int64) (*barong.UserRecords, error) {
	rows, err := q.r.query(ctx, userRecordsSQL, userID, userID, userID, userID, referralID)
	if err != nil {
		return nil, fmt.Errorf("records of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := &barong.UserRecords{Labels: []barong.Label{}, Phones: []barong.Phone{}, Profiles: []barong.Profile{},
		DataStorages: []barong.DataStorage{}}
	for rows.Next() {
		var kind, id, n1 int64
		var s [10]string
		var t1, t2 time.Time
		var t3 *time.Time
		dst := []any{integer{&kind}, &id}
		for i := range s {
			dst = append(dst, str{&s[i]})
		}
		dst = append(dst, integer{&n1}, timestamp{&t1}, timestamp{&t2}, nullTime{&t3})
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("scan records of user %d: %w", userID, err)
		}
		if err := q.addRecord(out, kind, id, userID, s, n1, t1, t2, t3); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("records of user %d: %w", userID, err)
	}
	return out, nil
}

func (q queries) addRecord(out *barong.UserRecords, kind, id, userID int64, s [10]string, n1 int64, t1, t2 time.Time, t3 *time.Time) error {
	dec := func(p *string, stored string) error { return q.decrypted(p).Scan(stored) }
	switch kind {
	case 1:
		out.Labels = append(out.Labels, barong.Label{ID: id, UserID: userID, Key: s[0], Value: s[1], Scope: s[2],
			Description: s[3], CreatedAt: t1, UpdatedAt: t2})
	case 2:
		p := barong.Phone{ID: id, UserID: userID, Country: s[0], Code: s[1], ValidatedAt: t3, CreatedAt: t1, UpdatedAt: t2}
		if err := dec(&p.Number, s[2]); err != nil {
			return err
		}
		out.Phones = append(out.Phones, p)
	case 3:
		p := barong.Profile{ID: id, UserID: userID, Author: s[0], ApplicantID: s[1], Postcode: s[6], City: s[7],
			Country: s[8], Metadata: s[9], CreatedAt: t1, UpdatedAt: t2}
		for i, f := range []*string{&p.FirstName, &p.LastName, &p.DOB, &p.Address} {
			if err := dec(f, s[2+i]); err != nil {
				return err
			}
		}
		if err := (profileState{&p.State}).Scan(n1); err != nil {
			return err
		}
		out.Profiles = append(out.Profiles, p)
	case 4:
		out.DataStorages = append(out.DataStorages, barong.DataStorage{ID: id, UserID: userID, Title: s[0], Data: s[1],
			CreatedAt: t1, UpdatedAt: t2})
	case 5:
		out.ReferralUID = s[0]
	}
	return nil
}
