package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/barong-go/barong"
)

// userViewSQL reads a user (by UID) with the user's labels, phones,
// profiles, data storages and the referrer's UID in ONE round trip: a UNION
// ALL over a common row shape (kind, id, ten text columns, two integers,
// three timestamps). NULL text placeholders take their types from other
// branches; the integer columns are 0 where unused and the user's row
// repeats updated_at as its third timestamp, since PostgreSQL types a
// column whose two leading branches are NULL as text. The user's id
// comes from a subquery on the unique uid index in every branch.
const userViewSQL = `
SELECT 0 AS kind, id, uid AS s1, username AS s2, email AS s3, password_digest AS s4, role AS s5, data AS s6,
	state AS s7, CASE WHEN otp THEN '1' ELSE '0' END AS s8, NULL AS s9, NULL AS s10, level AS n1,
	COALESCE(referral_id, 0) AS n2, created_at AS t1, updated_at AS t2, updated_at AS t3
	FROM users WHERE uid = ?
UNION ALL
SELECT 1, id, "key", value, scope, description, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, created_at, updated_at, NULL
	FROM labels WHERE user_id = (SELECT id FROM users WHERE uid = ?)
UNION ALL
SELECT 2, id, country, code, number_encrypted, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, created_at, updated_at, validated_at
	FROM phones WHERE user_id = (SELECT id FROM users WHERE uid = ?)
UNION ALL
SELECT 3, id, author, applicant_id, first_name_encrypted, last_name_encrypted, dob_encrypted, address_encrypted,
	postcode, city, country, metadata, state, 0, created_at, updated_at, NULL
	FROM profiles WHERE user_id = (SELECT id FROM users WHERE uid = ?)
UNION ALL
SELECT 4, id, title, data, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, created_at, updated_at, NULL
	FROM data_storages WHERE user_id = (SELECT id FROM users WHERE uid = ?)
UNION ALL
SELECT 5, id, uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, created_at, updated_at, NULL
	FROM users WHERE id = (SELECT referral_id FROM users WHERE uid = ?)
ORDER BY 1, 15, 2`

// UserView loads the user with this UID and what the user entities show
// besides the user row, in one database round trip. An unknown UID is
// barong.ErrNotFound.
func (q queries) UserView(ctx context.Context, uid string) (*barong.User, *barong.UserRecords, error) {
	rows, err := q.r.query(ctx, userViewSQL, uid, uid, uid, uid, uid, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("view of user %s: %w", uid, err)
	}
	defer rows.Close()
	var u *barong.User
	out := &barong.UserRecords{Labels: []barong.Label{}, Phones: []barong.Phone{}, Profiles: []barong.Profile{},
		DataStorages: []barong.DataStorage{}}
	for rows.Next() {
		var kind, id, n1, n2 int64
		var s [10]string
		var t1, t2 time.Time
		var t3 *time.Time
		dst := []any{integer{&kind}, &id}
		for i := range s {
			dst = append(dst, str{&s[i]})
		}
		dst = append(dst, integer{&n1}, integer{&n2}, timestamp{&t1}, timestamp{&t2}, nullTime{&t3})
		if err := rows.Scan(dst...); err != nil {
			return nil, nil, fmt.Errorf("scan view of user %s: %w", uid, err)
		}
		if kind == 0 {
			u = &barong.User{ID: id, UID: s[0], Username: s[1], Email: s[2], PasswordDigest: s[3], Role: s[4],
				Data: s[5], State: s[6], OTP: s[7] == "1", Level: int(n1), ReferralID: n2, CreatedAt: t1, UpdatedAt: t2}
			continue
		}
		if u == nil { // kind 0 sorts first: no user row means no such user
			break
		}
		if err := q.addRecord(out, kind, id, u.ID, s, n1, t1, t2, t3); err != nil {
			return nil, nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("view of user %s: %w", uid, err)
	}
	if u == nil {
		return nil, nil, fmt.Errorf("view of user %s: %w", uid, barong.ErrNotFound)
	}
	return u, out, nil
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
