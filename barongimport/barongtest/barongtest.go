// Package barongtest builds Barong-shaped databases for tests: the tables
// of Barong 2.3 or 2.7 on PostgreSQL or MariaDB (DDL in testdata, as Rails
// creates them from Barong's db/schema.rb) with rows as Barong writes them:
// Rails timestamps, bcrypt $2a$ digests, labels, profiles, phones and
// documents with personal data encrypted as that version did (in clear in
// 2.3; Vault transit or EncryptionService with SECRET_KEY_BASE in 2.7), API
// keys whose secrets are in Vault (K/V in 2.3, transit in 2.7), and 2FA
// secrets in Vault's TOTP engine. For tests only.
package barongtest

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"embed"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/vault/vaulttest"
	"golang.org/x/crypto/bcrypt"
)

//go:embed testdata
var ddl embed.FS

// SecretKeyBase is the Rails SECRET_KEY_BASE of the databases built here.
const SecretKeyBase = "6b1f2e0d9c8b7a6958473625140f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff001122"

// Base is the time of the first row; Rails keeps UTC.
var Base = time.Date(2021, 4, 7, 9, 42, 8, 123456000, time.UTC)

// User is a user of the source with what a test needs to act as them.
type User struct {
	ID               int64
	UID, Email       string
	Password         string
	TOTPSecret       string // set for users with 2FA (key in Vault's TOTP engine)
	FirstName, DOB   string
	Phone, DocNumber string
	State, Role      string
	Level            int
}

// APIKey is an API key of the source and its secret.
type APIKey struct {
	ID         int64
	KID        string
	Secret     string
	HolderType string
	HolderID   int64
}

// Source is a Barong database built for a test.
type Source struct {
	Dialect, Version string
	URL              string
	DB               *sql.DB
	Vault            *vaulttest.Server
	Users            map[string]*User
	APIKeys          map[string]*APIKey
	// Broken lists "table id" of the rows built to be unimportable.
	Broken []string
}

// New creates a fresh database of dialect ("postgres" or "mysql") with
// Barong version's tables ("2.3" or "2.7") and rows; secrets Barong kept in
// Vault go into v.
func New(t testing.TB, dialect, version string, v *vaulttest.Server) *Source {
	t.Helper()
	url := testenv.Database(t, dialect)
	_, db, err := sqlstore.OpenSQL(context.Background(), url, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Source{Dialect: dialect, Version: version, URL: url, DB: db, Vault: v, Users: map[string]*User{}, APIKeys: map[string]*APIKey{}}
	b, err := ddl.ReadFile("testdata/barong-" + version + "/" + dialect + ".sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(b), ";\n") {
		if q := strings.TrimSpace(stripComments(stmt)); q != "" {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	s.fill(t)
	return s
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (s *Source) v27() bool { return s.Version == "2.7" }

// At is Base plus n minutes, as the source's column type keeps it: whole
// seconds on MySQL, microseconds on PostgreSQL.
func (s *Source) At(n int) time.Time {
	t := Base.Add(time.Duration(n) * time.Minute)
	if s.Dialect == "mysql" {
		t = t.Truncate(time.Second)
	}
	return t
}

// Exec runs a statement with ? placeholders on the source (tests only: the
// importer never writes there).
func (s *Source) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if s.Dialect == "postgres" {
		n := 0
		q = rebind(q, &n)
	}
	if _, err := s.DB.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func rebind(q string, n *int) string {
	var b strings.Builder
	for _, c := range q {
		if c == '?' {
			*n++
			b.WriteString("$" + strconv.Itoa(*n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// insert adds a row; cols is a comma-separated list.
func (s *Source) insert(t testing.TB, table, cols string, vals ...any) {
	t.Helper()
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = `"` + strings.TrimSpace(names[i]) + `"`
	}
	s.Exec(t, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")+")", vals...)
}

func digest(t testing.TB, password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(h), "$2a$") {
		t.Fatalf("bcrypt digest %q is not $2a$", h)
	}
	return string(h)
}

// encrypt stores a personal field as this Barong version did: in clear
// (2.3), with vault-rails' transit key <app>_<table>_<attr> (vaultRails) or
// with EncryptionService.
func (s *Source) encrypt(table, attr, plain string, vaultRails bool, date bool) any {
	if plain == "" {
		return nil
	}
	if !s.v27() {
		return plain
	}
	if vaultRails {
		return s.Vault.Encrypt("barong_"+table+"_"+attr, []byte(plain))
	}
	return RailsEncrypt(SecretKeyBase, "202040", plain, date)
}

func (s *Source) fill(t testing.TB) {
	users := []*User{
		{ID: 1, UID: "ID0A1B2C3D4E", Email: "admin@barong.io", Password: "Adm1n-Barong-2021!", State: "active", Role: "superadmin", Level: 3},
		{ID: 2, UID: "IDAF1AED1A42", Email: "alice@example.com", Password: "Al1ce-in-Wonderland", State: "active", Role: "member", Level: 3,
			TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", FirstName: "Alice", DOB: "1990-05-17", Phone: "447911123456", DocNumber: "AB123456"},
		{ID: 3, UID: "ID30DD0DD986", Email: "bob@example.com", Password: "B0b-the-Builder!", State: "pending", Role: "member", Level: 1,
			FirstName: "Bob", DOB: "1985-02-03"},
		{ID: 4, UID: "IDC0FFEE0001", Email: "carol@example.com", Password: "C4rol-Banned-Now", State: "banned", Role: "member", Level: 1},
	}
	if s.Dialect == "postgres" {
		// PostgreSQL let Barong keep e-mails that differ only in case;
		// barong-go does not: the second one is reported.
		users = append(users, &User{ID: 5, UID: "IDDA7E000005", Email: "dave@example.com", Password: "D4ve-First-One!", State: "active", Role: "member", Level: 1},
			&User{ID: 6, UID: "IDDA7E000006", Email: "Dave@Example.com", Password: "D4ve-Second-One!", State: "active", Role: "member", Level: 1})
		s.Broken = append(s.Broken, "users 6")
	}
	for i, u := range users {
		s.Users[strings.SplitN(u.Email, "@", 2)[0]] = u
		cols := "id, uid, email, password_digest, role, level, otp, state, referral_id, data, created_at, updated_at"
		vals := []any{u.ID, u.UID, u.Email, digest(t, u.Password), u.Role, u.Level, u.TOTPSecret != "", u.State, nil,
			`{"language":"en"}`, s.At(i), s.At(i + 100)}
		if u.ID == 3 {
			vals[8] = int64(2) // bob was referred by alice
		}
		if s.v27() {
			cols += ", username"
			vals = append(vals, strings.ToLower(strings.SplitN(u.Email, "@", 2)[0])+strconv.FormatInt(u.ID, 10))
		}
		s.insert(t, "users", cols, vals...)
		if u.TOTPSecret != "" {
			s.Vault.PutTOTPKey("barong_"+u.UID, u.TOTPSecret)
		}
	}
	for i, l := range [][3]string{{"email", "verified", "User clicked on the confirmation link"}, {"phone", "verified", "User entered a valid code from sms"},
		{"document", "verified", "User personal documents have been verified"}} {
		s.insert(t, "levels", "id, key, value, description, created_at, updated_at", i+1, l[0], l[1], l[2], s.At(i), s.At(i))
	}
	for i, p := range [][4]string{{"superadmin", "ALL", "api/v2", "ACCEPT"}, {"member", "ALL", "api/v2/barong/resource", "ACCEPT"},
		{"member", "ALL", "api/v2/peatio", "ACCEPT"}, {"sa_maker", "ALL", "api/v2/peatio", "ACCEPT"}, {"member", "POST", "api/v2/", "AUDIT"}} {
		s.insert(t, "permissions", "id, role, verb, path, action, created_at, updated_at", i+1, p[0], p[1], p[2], p[3], s.At(i), s.At(i))
	}
	if s.v27() {
		s.insert(t, "restrictions", "id, category, scope, value, code, state, created_at, updated_at", 1, "blacklist", "ip", "203.0.113.7", 401, "enabled", s.At(0), s.At(0))
		s.insert(t, "restrictions", "id, category, scope, value, code, state, created_at, updated_at", 2, "maintenance", "all", "all", 471, "disabled", s.At(1), s.At(1))
	} else {
		s.insert(t, "restrictions", "id, scope, value, state, created_at, updated_at", 1, "ip", "203.0.113.7", "enabled", s.At(0), s.At(0))
	}
	label := func(id, user int64, key, value, scope string) {
		cols, vals := "id, user_id, key, value, scope, created_at, updated_at", []any{id, user, key, value, scope, s.At(int(id)), s.At(int(id) + 1)}
		if s.v27() {
			cols, vals = cols+", description", append(vals, nil)
		}
		s.insert(t, "labels", cols, vals...)
	}
	label(1, 1, "email", "verified", "private")
	label(2, 2, "email", "verified", "private")
	label(3, 2, "phone", "verified", "private")
	label(4, 2, "document", "verified", "private")
	label(5, 2, "otp", "enabled", "private")
	label(6, 3, "email", "verified", "private")
	label(7, 4, "email", "verified", "private")
	label(8, 4, "ban", "true", "private")
	label(9, 2, "trader", "gold", "public")
	label(10, 999, "email", "verified", "private") // a user Barong lost
	s.Broken = append(s.Broken, "labels 10")

	alice, bob := s.Users["alice"], s.Users["bob"]
	if s.v27() {
		s.insert(t, "profiles", "id, user_id, first_name_encrypted, last_name_encrypted, dob_encrypted, address_encrypted, postcode, city, country, state, metadata, created_at, updated_at",
			1, alice.ID, s.encrypt("profiles", "first_name", alice.FirstName, true, false), s.encrypt("profiles", "last_name", "Liddell", true, false),
			s.encrypt("profiles", "dob", alice.DOB, true, false), s.encrypt("profiles", "address", "1 Rabbit Hole", true, false), "E1 6AN", "London", "GB", 3, `{"source":"kyc"}`, s.At(10), s.At(11))
		s.insert(t, "profiles", "id, user_id, first_name_encrypted, last_name_encrypted, dob_encrypted, address_encrypted, postcode, city, country, state, metadata, created_at, updated_at",
			2, bob.ID, s.encrypt("profiles", "first_name", bob.FirstName, false, false), s.encrypt("profiles", "last_name", "Builder", false, false),
			s.encrypt("profiles", "dob", bob.DOB, false, true), s.encrypt("profiles", "address", "2 Yard Lane", false, false), "BS1 4DJ", "Bristol", "GB", 1, nil, s.At(12), s.At(13))
		s.insert(t, "phones", "id, user_id, country, code, number_encrypted, number_index, validated_at, created_at, updated_at",
			1, alice.ID, "GB", "12345", s.encrypt("phones", "number", alice.Phone, true, false), int64(crc32.ChecksumIEEE([]byte(alice.Phone))), s.At(14), s.At(14), s.At(15))
		s.insert(t, "documents", "id, user_id, upload, doc_type, doc_expire, doc_number_encrypted, doc_number_index, doc_category, identificator, created_at, updated_at",
			1, alice.ID, "passport.jpg", "Passport", "2031-12-31", s.encrypt("documents", "doc_number", alice.DocNumber, true, false),
			int64(crc32.ChecksumIEEE([]byte(alice.DocNumber))), "front_side", "a1b2c3d4e5f6a7b8", s.At(16), s.At(16))
		s.insert(t, "data_storages", "id, user_id, title, data, created_at, updated_at", 1, alice.ID, "preferences", `{"theme":"dark"}`, s.At(17), s.At(17))
		s.insert(t, "comments", "id, user_id, author_uid, title, data, created_at, updated_at", 1, alice.ID, s.Users["admin"].UID, "KYC", "documents checked", s.At(18), s.At(18))
		s.insert(t, "service_accounts", "id, uid, owner_id, email, role, level, state, created_at, updated_at",
			1, "SI0123456789", alice.ID, "alice+SI0123456789@example.com", "sa_maker", 3, "active", s.At(19), s.At(19))
	} else {
		s.insert(t, "profiles", "id, user_id, first_name, last_name, dob, address, postcode, city, country, state, metadata, created_at, updated_at",
			1, alice.ID, alice.FirstName, "Liddell", alice.DOB, "1 Rabbit Hole", "E1 6AN", "London", "GB", 1, nil, s.At(10), s.At(11))
		s.insert(t, "phones", "id, user_id, country, number, validated_at, created_at, updated_at", 1, alice.ID, "GB", alice.Phone, s.At(14), s.At(14), s.At(15))
		s.insert(t, "documents", "id, user_id, upload, doc_type, doc_number, doc_expire, created_at, updated_at",
			1, alice.ID, "passport.jpg", "Passport", alice.DocNumber, "2031-12-31", s.At(16), s.At(16))
	}

	keys := []*APIKey{{ID: 1, KID: "61d025b8573501c2", Secret: "2d0b4979c7fe6986daa8e21d1dc0644f", HolderType: "User", HolderID: alice.ID},
		{ID: 3, KID: "deadbeefdeadbeef", Secret: "", HolderType: "User", HolderID: alice.ID}}
	if s.v27() {
		keys = append(keys, &APIKey{ID: 2, KID: "5a3fe1b0c2d4e6f8", Secret: "0123456789abcdef0123456789abcdef", HolderType: "ServiceAccount", HolderID: 1})
	}
	s.APIKeys["alice"], s.APIKeys["broken"] = keys[0], keys[1]
	if s.v27() {
		s.APIKeys["sa"] = keys[2]
	}
	s.Broken = append(s.Broken, "apikeys 3")
	for _, k := range keys {
		if s.v27() {
			secret := "vault:v1:bm90LWEtY2lwaGVydGV4dA==" // Vault cannot decrypt this one
			if k.Secret != "" {
				secret = s.Vault.Encrypt("barong_apikeys_secret", []byte(k.Secret))
			}
			s.insert(t, "apikeys", "id, key_holder_account_id, key_holder_account_type, kid, algorithm, scope, secret_encrypted, state, created_at, updated_at",
				k.ID, k.HolderID, k.HolderType, k.KID, "HS256", "---\n- trade\n- read\n", secret, "active", s.At(20+int(k.ID)), s.At(20+int(k.ID)))
		} else {
			if k.Secret != "" { // the broken key has no secret in Vault
				s.Vault.PutKV("barong/api_key/"+k.KID, map[string]any{"value": k.Secret})
			}
			s.insert(t, "apikeys", "id, user_id, kid, algorithm, scope, state, created_at, updated_at",
				k.ID, k.HolderID, k.KID, "HS256", "--- []\n", "active", s.At(20+int(k.ID)), s.At(20+int(k.ID)))
		}
	}
	for i, a := range [][4]any{{alice.ID, "session", "login", "succeed"}, {int64(1), "session", "login", "succeed"}, {alice.ID, "otp", "enable 2FA", "succeed"}} {
		s.insert(t, "activities", "id, user_id, category, user_ip, user_agent, topic, action, result, data, created_at",
			i+1, a[0], "user", "198.51.100.4", "Mozilla/5.0", a[1], a[2], a[3], nil, s.At(30+i))
	}
}

// Dump is every row of every table of the source, for checking that an
// import left it as it was.
func (s *Source) Dump(t testing.TB) string {
	t.Helper()
	var tables []string
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	if s.Dialect == "mysql" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	rows, err := s.DB.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	sort.Strings(tables)
	var b strings.Builder
	for _, table := range tables {
		order := " ORDER BY 1"
		rows, err := s.DB.Query(`SELECT * FROM "` + table + `"` + order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintln(&b, table, cols)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// RailsEncrypt is what Barong's EncryptionService stores for plain (a
// String, or with date a Date of YYYY-MM-DD): "<salt>." + MessageEncryptor
// (AES-256-GCM) of the Ruby Marshal dump, under the PBKDF2 key of
// secretKeyBase and salt.
func RailsEncrypt(secretKeyBase, salt, plain string, date bool) string {
	key, err := pbkdf2.Key(sha1.New, secretKeyBase, []byte(salt), 1<<16, 32)
	if err != nil {
		panic(err)
	}
	var dump []byte
	if date {
		d, err := time.Parse(time.DateOnly, plain)
		if err != nil {
			panic(err)
		}
		jd := d.Unix()/86400 + 2440588
		dump = append([]byte{4, 8, 'U', ':', 9}, "Date"...)
		dump = append(dump, '[', 11, 'i', 0, 'i', 3, byte(jd), byte(jd>>8), byte(jd>>16), 'i', 0, 'i', 0, 'i', 0, 'f', 12)
		dump = append(dump, "2299161"...)
	} else {
		dump = append([]byte{4, 8, 'I', '"', byte(len(plain) + 5)}, plain...) // lengths up to 117
		dump = append(dump, 6, ':', 6, 'E', 'T')
	}
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	iv := make([]byte, 12)
	_, _ = rand.Read(iv)
	sealed := aead.Seal(nil, iv, dump, nil)
	data, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	enc := base64.StdEncoding
	return salt + "." + enc.EncodeToString(data) + "--" + enc.EncodeToString(iv) + "--" + enc.EncodeToString(tag)
}

// AddUsers adds n users (ids from 1000) with two labels and two
// activities each, in multi-row statements, for load tests.
func (s *Source) AddUsers(t testing.TB, n int) {
	t.Helper()
	digest := digest(t, "Bulk-User-Passw0rd")
	const chunk = 200
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var users, labels, acts []string
		var uargs, largs, aargs []any
		for i := start; i < end; i++ {
			id := int64(1000 + i)
			users = append(users, "(?, ?, ?, ?, 'member', 1, ?, 'active', ?, ?)")
			uargs = append(uargs, id, fmt.Sprintf("IDB%09d", i), fmt.Sprintf("bulk%d@example.com", i), digest, false, s.At(i%1000), s.At(i%1000))
			labels = append(labels, "(?, ?, 'email', 'verified', 'private', ?, ?)", "(?, ?, 'tier', 'basic', 'public', ?, ?)")
			largs = append(largs, 2*id, id, s.At(1), s.At(1), 2*id+1, id, s.At(1), s.At(1))
			acts = append(acts, "(?, ?, 'user', '198.51.100.4', 'Mozilla/5.0', 'session', 'login', 'succeed', ?)",
				"(?, ?, 'user', '198.51.100.4', 'Mozilla/5.0', 'password', 'reset', 'succeed', ?)")
			aargs = append(aargs, 2*id, id, s.At(2), 2*id+1, id, s.At(3))
		}
		s.Exec(t, `INSERT INTO users (id, uid, email, password_digest, role, level, otp, state, created_at, updated_at) VALUES `+strings.Join(users, ", "), uargs...)
		s.Exec(t, `INSERT INTO labels (id, user_id, "key", value, scope, created_at, updated_at) VALUES `+strings.Join(labels, ", "), largs...)
		s.Exec(t, `INSERT INTO activities (id, user_id, category, user_ip, user_agent, topic, action, result, created_at) VALUES `+strings.Join(acts, ", "), aargs...)
	}
}
