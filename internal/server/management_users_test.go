package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// mgmtKeysOf lists the member names of a JSON object in order.
func mgmtKeysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestManagementUsersGet(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	u := mgmtUser(t, m.testServer, "Kyc@Example.com")
	validated := time.Now()
	for _, p := range []barong.Phone{{UserID: u.ID, Country: "UA", Number: "380501234567", ValidatedAt: &validated}} {
		if err := m.DB.CreatePhone(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.DB.CreateLabel(ctx, &barong.Label{UserID: u.ID, Key: "email", Value: "verified", Scope: "private", Description: "by test"}); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.CreateComment(ctx, &barong.Comment{UserID: u.ID, AuthorUID: "IDADMIN", Title: "note", Data: "checked"}); err != nil {
		t.Fatal(err)
	}
	for _, data := range []map[string]string{{"uid": u.UID}, {"email": "kyc@example.com"}, {"phone_num": "380501234567"}} {
		r := m.call(t, "/users/get", data)
		mgmtExpect(t, r, 201, "")
		want := "email,uid,role,level,otp,state,referral_uid,data,username,profiles,labels,phones,documents,data_storages,comments,created_at,updated_at"
		if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != want {
			t.Fatalf("UserWithKYC fields %s", got)
		}
		body := r.json(t)
		phones := body["phones"].([]any)
		labels := body["labels"].([]any)
		comments := body["comments"].([]any)
		if body["uid"] != u.UID || len(phones) != 1 || phones[0].(map[string]any)["number"] != "380501234567" ||
			labels[0].(map[string]any)["description"] != "by test" || comments[0].(map[string]any)["title"] != "note" {
			t.Fatalf("%v: %s", data, r.Body)
		}
	}
	// The phone is looked up exactly as given.
	mgmtExpect(t, m.call(t, "/users/get", map[string]string{"phone_num": "+380 50 123 45 67"}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/users/get", map[string]string{"uid": "IDNOPE000000"}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/users/get", map[string]string{}), 422,
		`{"error":"uid, email, phone_num are missing, exactly one parameter must be provided"}`)
	mgmtExpect(t, m.call(t, "/users/get", map[string]string{"uid": u.UID, "phone_num": "1"}), 422,
		`{"error":"uid, phone_num are mutually exclusive"}`)
	mgmtExpect(t, m.call(t, "/users/get", map[string]any{"uid": " "}), 422, `{"error":"uid is empty"}`)
	mgmtExpect(t, m.call(t, "/users/get", map[string]any{"uid": []int{1}}), 422, `{"error":"uid is invalid"}`)
}

func TestManagementUsersList(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ref := mgmtUser(t, m.testServer, "ref@example.com")
	for _, e := range []string{"l1@example.com", "l2@example.com"} {
		mgmtUser(t, m.testServer, e, func(u *barong.User) { u.ReferralID = ref.ID })
	}
	r := m.call(t, "/users/list", map[string]any{"page": 2, "limit": 2})
	mgmtExpect(t, r, 200, "")
	list := jsonList(t, r)
	if r.Header.Get("Total") != "3" || r.Header.Get("Page") != "2" || r.Header.Get("Per-Page") != "2" || len(list) != 1 ||
		list[0]["email"] != "l2@example.com" || list[0]["referral_uid"] != ref.UID || list[0]["profiles"] != nil {
		t.Fatalf("page 2: %v %s", r.Header, r.Body)
	}
	r = m.call(t, "/users/list", map[string]any{"extended": true, "range": "updated", "from": time.Now().Add(-time.Hour).Unix(), "to": "9999999999"})
	mgmtExpect(t, r, 200, "")
	if list = jsonList(t, r); len(list) != 3 || list[0]["profiles"] == nil || list[0]["created_at"] == nil {
		t.Fatalf("extended: %s", r.Body)
	}
	r = m.call(t, "/users/list", map[string]any{"from": time.Now().Add(time.Hour).Unix()})
	if mgmtExpect(t, r, 200, "[]"); r.Header.Get("Total") != "0" {
		t.Fatalf("future: %v", r.Header)
	}
	mgmtExpect(t, m.call(t, "/users/list", map[string]any{"extended": "maybe", "range": "born", "from": "x", "page": "one", "limit": 500}), 422,
		`{"error":"extended Non boolean extended value, range Invalid range, from is invalid, page non_integer_page, limit invalid_limit"}`)
	mgmtExpect(t, m.call(t, "/users/list", map[string]any{"page": 0, "limit": "0"}), 422, `{"error":"page non_positive_page, limit invalid_limit"}`)
}

func TestManagementUsersCreateAndUpdate(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ref := mgmtUser(t, m.testServer, "referrer@example.com")
	m.events(t)
	r := m.call(t, "/users", map[string]string{"email": "new@example.com", "password": strongPassword, "referral_uid": ref.UID})
	mgmtExpect(t, r, 201, "")
	if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != "email,uid,role,level,otp,state,referral_uid,data,username,profiles,created_at,updated_at" {
		t.Fatalf("UserWithProfile fields %s", got)
	}
	body := r.json(t)
	uid, _ := body["uid"].(string)
	if body["state"] != "pending" || body["role"] != "member" || body["referral_uid"] != ref.UID || !strings.HasPrefix(uid, "ID") {
		t.Fatalf("created %s", r.Body)
	}
	if evs := names(m.events(t)); strings.Join(evs, ",") != "model.user.created" {
		t.Fatalf("events %v (no confirmation e-mail, no session)", evs)
	}
	// The password works for a login.
	c := m.client()
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "new@example.com", "password": strongPassword}), 201)

	mgmtExpect(t, m.call(t, "/users", map[string]string{"email": "new@example.com", "password": strongPassword}), 422,
		`{"error":["Email has already been taken"]}`)
	mgmtExpect(t, m.call(t, "/users", map[string]string{"email": "bad", "password": "short", "referral_uid": "IDNOPE000000"}), 422,
		`{"error":["Email is invalid","Password requirements","Referral doesnt_exist"]}`)
	mgmtExpect(t, m.call(t, "/users", map[string]string{}), 422,
		`{"error":"email is missing, email is empty, password is missing, password is empty"}`)
	mgmtExpect(t, m.call(t, "/users", map[string]any{"email": "x@example.com", "password": strongPassword, "referral_uid": ""}), 422,
		`{"error":"referral_uid is empty"}`)

	// Update role and data.
	m.events(t)
	r = m.call(t, "/users/update", map[string]string{"uid": uid, "role": "admin", "data": `{"language":"fr"}`})
	mgmtExpect(t, r, 201, "")
	if body := r.json(t); body["role"] != "admin" || body["data"] != `{"language":"fr"}` {
		t.Fatalf("updated %s", r.Body)
	}
	if evs := names(m.events(t)); strings.Join(evs, ",") != "model.user.updated" {
		t.Fatalf("events %v", evs)
	}
	mgmtExpect(t, m.call(t, "/users/update", map[string]string{"uid": uid, "role": "emperor", "data": "{"}), 422,
		`{"error":["Role doesnt_exist","Data invalid_format"]}`)
	mgmtExpect(t, m.call(t, "/users/update", map[string]string{"uid": uid}), 422,
		`{"error":"role, data are missing, at least one parameter must be provided"}`)
	mgmtExpect(t, m.call(t, "/users/update", map[string]string{"uid": "IDNOPE000000", "role": "admin"}), 422, mgmtNoUserMsg)
	u, _ := m.DB.UserByUID(context.Background(), uid)
	if u.Role != "admin" || len(m.events(t)) != 0 {
		t.Fatalf("failed updates changed something: %+v", u)
	}
}

func TestManagementUsersImport(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	digest, _ := bcrypt.GenerateFromPassword([]byte("imported secret"), 4)
	// Barong's hashes are $2a$.
	barongDigest := "$2a$" + strings.TrimPrefix(string(digest), "$2a$")
	r := m.call(t, "/users/import", map[string]string{"email": "old@example.com", "password_digest": barongDigest,
		"phone": "+380 50 765 43 21", "first_name": "Taras", "last_name": "Shevchenko", "dob": "1990-03-09",
		"address": "Khreshchatyk 1", "postcode": "01001", "city": "Kyiv", "country": "UA", "state": "verified"})
	mgmtExpect(t, r, 201, "")
	body := r.json(t)
	profiles := body["profiles"].([]any)
	p := profiles[0].(map[string]any)
	if body["email"] != "old@example.com" || len(profiles) != 1 || p["state"] != "verified" || p["last_name"] != "Shevchenko" || p["dob"] != "1990-03-09" {
		t.Fatalf("imported %s", r.Body)
	}
	u, err := m.DB.UserByEmail(ctx, "old@example.com")
	if err != nil || u.PasswordDigest != barongDigest {
		t.Fatalf("digest not kept: %v", err)
	}
	phones, _ := m.DB.PhonesByUser(ctx, u.ID)
	if len(phones) != 1 || phones[0].Number != "380507654321" || phones[0].ValidatedAt == nil {
		t.Fatalf("phones %+v", phones)
	}
	if l, err := m.DB.LabelByKey(ctx, u.ID, "profile", "private"); err != nil || l.Value != "verified" {
		t.Fatalf("profile label %v %v", l, err)
	}
	c := m.client()
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "old@example.com", "password": "imported secret"}), 201)

	n, _ := m.DB.CountUsers(ctx)
	mgmtExpect(t, m.call(t, "/users/import", map[string]string{"email": "OLD@example.com", "password_digest": barongDigest}), 422,
		`{"error":"User already exists by this email"}`)
	mgmtExpect(t, m.call(t, "/users/import", map[string]string{"email": "x@example.com", "password_digest": "plain", "phone": "123",
		"country": "Ukraine", "state": "approved"}), 422,
		`{"error":["Password digest is invalid","Number is invalid","Country must have alpha2 or alpha3 format","State is not included in the list"]}`)
	mgmtExpect(t, m.call(t, "/users/import", map[string]string{"email": "x@example.com", "password_digest": barongDigest, "dob": "yesterday", "city": ""}), 422,
		`{"error":"dob is invalid, city is empty"}`)
	mgmtExpect(t, m.call(t, "/users/import", map[string]string{}), 422,
		`{"error":"email is missing, email is empty, password_digest is missing, password_digest is empty"}`)
	if n2, _ := m.DB.CountUsers(ctx); n2 != n {
		t.Fatalf("failed imports wrote users: %d → %d", n, n2)
	}
}

func TestManagementProfiles(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	u := mgmtUser(t, m.testServer, "prof@example.com")
	m.events(t)
	r := m.call(t, "/profiles", map[string]any{"uid": u.UID, "first_name": "Ada", "last_name": "Lovelace", "country": "GBR",
		"state": "submitted", "metadata": `{"source":"import"}`})
	mgmtExpect(t, r, 201, "")
	p := r.json(t)["profiles"].([]any)[0].(map[string]any)
	if p["state"] != "submitted" || p["metadata"] != `{"source":"import"}` || p["last_name"] != "Lovelace" {
		t.Fatalf("profile %s", r.Body)
	}
	evs := names(m.events(t))
	if !strings.Contains(strings.Join(evs, ","), "model.profile.created") {
		t.Fatalf("events %v", evs)
	}
	mgmtExpect(t, m.call(t, "/profiles", map[string]any{"uid": u.UID}), 422, `{"error":["State exists"]}`)
	// A verified profile may be added beside a submitted one.
	mgmtExpect(t, m.call(t, "/profiles", map[string]any{"uid": u.UID, "state": "verified"}), 201, "")
	mgmtExpect(t, m.call(t, "/profiles", map[string]any{"uid": "IDNOPE000000"}), 422, mgmtNoUserMsg)
	mgmtExpect(t, m.call(t, "/profiles", map[string]any{"uid": u.UID, "state": "rejected", "metadata": "{", "dob": "2999-01-01"}), 422,
		`{"error":["Dob is invalid","Metadata invalid_format"]}`)
	mgmtExpect(t, m.call(t, "/profiles", map[string]any{"first_name": ""}), 422, `{"error":"uid is missing, uid is empty, first_name is empty"}`)
}
