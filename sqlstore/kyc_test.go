package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
)

// wantEncrypted checks a raw column holds neither the plain value nor
// anything but the cipher's format.
func wantEncrypted(t *testing.T, raw, plain string) {
	t.Helper()
	if strings.Contains(raw, plain) || !strings.HasPrefix(raw, "v1:") {
		t.Fatalf("column holds %q for %q: not encrypted", raw, plain)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u := mustUser(t, db)
		p := &barong.Profile{UserID: u.ID, FirstName: "Taras", LastName: "Шевченко", DOB: "1814-03-09",
			Address: "Moryntsi 1", Postcode: "20235", City: "Kyiv", Country: "UA", Metadata: `{"a":1}`}
		if err := db.CreateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.State != "drafted" {
			t.Fatalf("default state %q", p.State)
		}
		for col, plain := range map[string]string{"first_name_encrypted": p.FirstName, "last_name_encrypted": p.LastName,
			"dob_encrypted": p.DOB, "address_encrypted": p.Address} {
			wantEncrypted(t, rawString(t, db, "SELECT "+col+" FROM profiles WHERE id = ?", p.ID), plain)
		}
		if s := rawInt(t, db, "SELECT state FROM profiles WHERE id = ?", p.ID); s != 0 {
			t.Fatalf("drafted stored as %d, want 0", s)
		}
		clock.Advance(time.Minute)
		second := &barong.Profile{UserID: u.ID, State: "verified"}
		if err := db.CreateProfile(ctx, second); err != nil {
			t.Fatal(err)
		}
		ps, err := db.ProfilesByUser(ctx, u.ID)
		if err != nil || len(ps) != 2 || ps[0] != *p || ps[1] != *second {
			t.Fatalf("ProfilesByUser = %+v, %v", ps, err)
		}
		for state, code := range map[string]int64{"submitted": 1, "verified": 3, "rejected": 4} {
			p.State = state
			if err := db.UpdateProfile(ctx, p); err != nil {
				t.Fatal(err)
			}
			if s := rawInt(t, db, "SELECT state FROM profiles WHERE id = ?", p.ID); s != code {
				t.Fatalf("%s stored as %d, want %d", state, s, code)
			}
		}
		ps, _ = db.ProfilesByUser(ctx, u.ID)
		if ps[0] != *p {
			t.Fatalf("after updates %+v, want %+v", ps[0], *p)
		}
		p.State = "approved"
		if err := db.UpdateProfile(ctx, p); err == nil {
			t.Fatal("unknown profile state accepted")
		}
		wantNotFound(t, db.UpdateProfile(ctx, &barong.Profile{ID: 1 << 50}))
	})
}

func TestPhones(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		a, b := mustUser(t, db), mustUser(t, db)
		number := "380" + unique("")[:9]
		number = strings.Map(func(r rune) rune { return '0' + r%10 }, number)
		pa := &barong.Phone{UserID: a.ID, Country: "UA", Code: "12345", Number: number}
		if err := db.CreatePhone(ctx, pa); err != nil {
			t.Fatal(err)
		}
		pb := &barong.Phone{UserID: b.ID, Country: "UA", Number: number}
		if err := db.CreatePhone(ctx, pb); err != nil {
			t.Fatal(err)
		}
		wantEncrypted(t, rawString(t, db, "SELECT number_encrypted FROM phones WHERE id = ?", pa.ID), number)
		idx := rawInt(t, db, "SELECT number_index FROM phones WHERE id = ?", pa.ID)
		if want := crypt.Index(number, "test-salt"); idx != want {
			t.Fatalf("number_index %d, want %d", idx, want)
		}
		got, err := db.PhonesByNumber(ctx, number)
		if err != nil || len(got) != 2 || got[0] != *pa || got[1] != *pb {
			t.Fatalf("PhonesByNumber = %+v, %v", got, err)
		}
		got, err = db.PhonesByNumber(ctx, number+"1")
		if err != nil || len(got) != 0 {
			t.Fatalf("PhonesByNumber(other) = %+v, %v", got, err)
		}
		// A colliding index with another number is filtered out by the
		// decrypted comparison.
		if _, err := db.w.exec(ctx, "UPDATE phones SET number_index = ? WHERE id = ?", crypt.Index("999", "test-salt"), pb.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := db.PhonesByNumber(ctx, "999"); err != nil || len(got) != 0 {
			t.Fatalf("PhonesByNumber(collision) = %+v, %v", got, err)
		}

		clock.Advance(time.Minute)
		v := clock.Now()
		pa.ValidatedAt = &v
		if err := db.UpdatePhone(ctx, pa); err != nil {
			t.Fatal(err)
		}
		ps, err := db.PhonesByUser(ctx, a.ID)
		if err != nil || len(ps) != 1 || ps[0].ValidatedAt == nil || !ps[0].ValidatedAt.Equal(v) || ps[0].Number != number {
			t.Fatalf("PhonesByUser = %+v, %v", ps, err)
		}
		if err := db.DeletePhone(ctx, pa.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeletePhone(ctx, pa.ID))
		if ps, _ := db.PhonesByUser(ctx, a.ID); len(ps) != 0 {
			t.Fatalf("phone not deleted: %+v", ps)
		}
	})
}

func TestDocuments(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u := mustUser(t, db)
		d := &barong.Document{UserID: u.ID, Upload: "a.jpg", DocType: "Passport", DocExpire: "2031-12-31",
			DocNumber: "AB123456", DocCategory: "front_side", Identificator: "0123456789abcdef", Metadata: `{"document_id":"x"}`}
		if err := db.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
		bare := &barong.Document{UserID: u.ID, Upload: "b.jpg", DocType: "Passport"}
		if err := db.CreateDocument(ctx, bare); err != nil {
			t.Fatal(err)
		}
		wantEncrypted(t, rawString(t, db, "SELECT doc_number_encrypted FROM documents WHERE id = ?", d.ID), d.DocNumber)
		ds, err := db.DocumentsByUser(ctx, u.ID)
		if err != nil || len(ds) != 2 || ds[0] != *d || ds[1] != *bare {
			t.Fatalf("DocumentsByUser = %+v, %v", ds, err)
		}
		if n, err := db.CountDocuments(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("CountDocuments = %d, %v", n, err)
		}
	})
}

func TestDataStorages(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u := mustUser(t, db)
		d := &barong.DataStorage{UserID: u.ID, Title: "Bank", Data: `{"iban":"x"}`}
		if err := db.CreateDataStorage(ctx, d); err != nil {
			t.Fatal(err)
		}
		// Titles are unique per user, ignoring case; another user may reuse.
		wantDuplicate(t, db.CreateDataStorage(ctx, &barong.DataStorage{UserID: u.ID, Title: "bank", Data: "{}"}), "title")
		if err := db.CreateDataStorage(ctx, &barong.DataStorage{UserID: mustUser(t, db).ID, Title: "Bank", Data: "{}"}); err != nil {
			t.Fatal(err)
		}
		ds, err := db.DataStoragesByUser(ctx, u.ID)
		if err != nil || len(ds) != 1 || ds[0] != *d {
			t.Fatalf("DataStoragesByUser = %+v, %v", ds, err)
		}
		if err := db.DeleteDataStorage(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeleteDataStorage(ctx, d.ID))
	})
}

func TestComments(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u, admin := mustUser(t, db), mustUser(t, db)
		c := &barong.Comment{UserID: u.ID, AuthorUID: admin.UID, Title: "kyc", Data: "looks fine"}
		if err := db.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Data = "looks fake"
		if err := db.UpdateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.CommentByID(ctx, c.ID)
		if err != nil || *got != *c {
			t.Fatalf("CommentByID = %+v, %v", got, err)
		}
		cs, err := db.CommentsByUser(ctx, u.ID)
		if err != nil || len(cs) != 1 || cs[0] != *c {
			t.Fatalf("CommentsByUser = %+v, %v", cs, err)
		}
		if err := db.DeleteComment(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.CommentByID(ctx, c.ID)
		wantNotFound(t, err)
		wantNotFound(t, db.UpdateComment(ctx, c))
	})
}

// Without a Cipher, encrypted columns can be neither written nor read;
// everything else works (e.g. `barong migrate` needs no key).
func TestNoCipher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+t.TempDir()+"/nocipher.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db)
	if err := db.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: "UA", Number: "380501234567"}); !errors.Is(err, errNoCipher) {
		t.Fatalf("CreatePhone without cipher: %v", err)
	}
	if err := db.CreateProfile(ctx, &barong.Profile{UserID: u.ID, City: "Kyiv"}); err != nil {
		t.Fatalf("profile without personal fields: %v", err)
	}
}
