package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	resAProfileFields      = "first_name,last_name,dob,address,postcode,city,country,state,metadata,created_at,updated_at"
	resAProfileEventFields = "user,first_name,last_name,dob,address,postcode,city,country,metadata,created_at,updated_at"
)

func resAProfileBody() map[string]any {
	return map[string]any{"first_name": "John", "last_name": "Doe", "dob": "1990-01-15",
		"address": `1 Main St., Apt #5 (rear)`, "postcode": "01001", "city": "Kyiv", "country": "UA",
		"metadata": `{"nationality":"UA"}`}
}

func TestResourceProfilesFlow(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	expect(t, c.do(t, "GET", res+"/profiles/me", nil), 404, "resource.profile.not_exist")
	expect(t, c.do(t, "GET", "/api/v2/resource/profiles/me", nil), 404, "resource.profile.not_exist")

	r := c.do(t, "POST", res+"/profiles", resAProfileBody())
	expect(t, r, 201)
	resAWantKeys(t, r.Body, resAProfileFields)
	m := r.json(t)
	// Masked for the user (BARONG_API_DATA_MASKING_ENABLED defaults to true).
	if m["first_name"] != "John" || m["last_name"] != "D**" || m["dob"] != "1990-01-**" || m["state"] != "drafted" ||
		m["country"] != "UA" || m["metadata"] != `{"nationality":"UA"}` || m["address"] != `1 Main St., Apt #5 (rear)` {
		t.Fatalf("profile %s", r.Body)
	}
	evs := ts.events(t)
	resAWantEvents(t, evs, "model.profile.created", "model.label.created")
	rec := resARaw(t, evs[0].Raw, "record")
	resAWantKeys(t, rec, resAProfileEventFields)
	var pr map[string]any
	_ = json.Unmarshal(rec, &pr)
	if pr["last_name"] != "Doe" || pr["dob"] != "1990-01-15" || pr["user"].(map[string]any)["uid"] != u.UID {
		t.Fatalf("event record %s", rec)
	}
	if lr := evs[1].Body["record"].(map[string]any); lr["key"] != "profile" || lr["value"] != "drafted" {
		t.Fatalf("label event %s", evs[1].Raw)
	}
	if l, err := ts.DB.LabelByKey(ctx, u.ID, "profile", "private"); err != nil || l.Value != "drafted" {
		t.Fatalf("profile label %+v %v", l, err)
	}
	resAProfileEncrypted(t, ts, "Doe")

	// A second drafted profile is a conflict.
	expect(t, c.do(t, "POST", "/api/v2/resource/profiles", map[string]any{"first_name": "Jane"}), 409, "state.exists")

	// PUT changes the sent fields only and submits with confirm.
	r = c.do(t, "PUT", res+"/profiles", map[string]any{"city": "  Lviv  ", "confirm": true})
	expect(t, r, 200)
	resAWantKeys(t, r.Body, resAProfileFields)
	if m := r.json(t); m["city"] != "Lviv" || m["state"] != "submitted" || m["first_name"] != "John" || m["last_name"] != "D**" {
		t.Fatalf("updated %s", r.Body)
	}
	evs = ts.events(t)
	resAWantEvents(t, evs, "model.profile.updated", "model.label.updated")
	if ch := evs[0].Body["changes"].(map[string]any); ch["city"] != "Kyiv" || len(ch) != 1 {
		t.Fatalf("changes %s", evs[0].Raw)
	}
	if ch := evs[1].Body["changes"].(map[string]any); ch["value"] != "drafted" {
		t.Fatalf("label changes %s", evs[1].Raw)
	}
	if l, _ := ts.DB.LabelByKey(ctx, u.ID, "profile", "private"); l.Value != "submitted" {
		t.Fatalf("profile label %+v", l)
	}
	// Submitted: not editable, and still blocks a new profile.
	expect(t, c.do(t, "PUT", "/api/v2/resource/profiles", map[string]any{"city": "Odesa"}), 404, "resource.profile.doesnt_exist_or_not_editable")
	expect(t, c.do(t, "POST", res+"/profiles", map[string]any{}), 409, "state.exists")
	resAWantEvents(t, ts.events(t))

	for _, mount := range resAMounts {
		r = c.do(t, "GET", mount+"/profiles/me", nil)
		expect(t, r, 200)
		var list []json.RawMessage
		if err := json.Unmarshal(r.Body, &list); err != nil || len(list) != 1 {
			t.Fatalf("profiles %s", r.Body)
		}
		resAWantKeys(t, list[0], resAProfileFields)
	}
	// users/me lists the profile too, masked.
	me := c.do(t, "GET", res+"/users/me", nil).json(t)
	if p := me["profiles"].([]any)[0].(map[string]any); p["last_name"] != "D**" {
		t.Fatalf("me profiles %v", me["profiles"])
	}
	// A verified or rejected profile no longer blocks a new one.
	ps, _ := ts.DB.ProfilesByUser(ctx, u.ID)
	ps[0].State = "rejected"
	if err := ts.DB.UpdateProfile(ctx, &ps[0]); err != nil {
		t.Fatal(err)
	}
	r = c.do(t, "POST", res+"/profiles", url.Values{"first_name": {"Ivan"}, "confirm": {"true"}})
	expect(t, r, 201)
	if m := r.json(t); m["state"] != "submitted" || m["last_name"] != nil || m["dob"] != nil {
		t.Fatalf("second profile %s", r.Body)
	}
	evs = ts.events(t)
	// The profile label already says submitted: no label event.
	resAWantEvents(t, evs, "model.profile.created")
	resAWantKeys(t, resARaw(t, evs[0].Raw, "record"), "user,first_name,created_at,updated_at")
}

// resAProfileEncrypted checks that the SQLite row does not hold plain.
func resAProfileEncrypted(t *testing.T, ts *testServer, plain string) {
	t.Helper()
	db, ok := rawSQLite(t, ts)
	if !ok {
		return
	}
	var last string
	if err := db.QueryRow("SELECT last_name_encrypted FROM profiles ORDER BY id LIMIT 1").Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last == "" || strings.Contains(last, plain) {
		t.Fatalf("last_name stored as %q", last)
	}
}

func TestResourceProfilesValidation(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	future := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	const country = "country.must have alpha2 or alpha3 format"
	for _, tc := range []struct {
		body   any
		status int
		keys   []string
	}{
		{map[string]any{"first_name": "J0hn!"}, 422, []string{"first_name.invalid"}},
		{map[string]any{"last_name": strings.Repeat("x", 256)}, 422, []string{"last_name.too_long"}},
		{map[string]any{"last_name": "<script>"}, 422, []string{"last_name.invalid"}},
		{map[string]any{"postcode": "1"}, 422, []string{"postcode.too_short"}},
		{map[string]any{"postcode": "01-001/2"}, 422, []string{"postcode.invalid"}},
		{map[string]any{"city": "Kyiv$"}, 422, []string{"city.invalid"}},
		{map[string]any{"address": "Main <b>"}, 422, []string{"address.invalid"}},
		{map[string]any{"address": strings.Repeat("a", 256)}, 422, []string{"address.too_long"}},
		{map[string]any{"country": "Ukraine"}, 422, []string{country}},
		{map[string]any{"country": "XX"}, 422, []string{country}},
		{map[string]any{"metadata": "{nope"}, 422, []string{"metadata.invalid_format"}},
		{map[string]any{"dob": future}, 422, []string{"dob.invalid"}},
		{map[string]any{"dob": "15 nope 1990"}, 422, []string{"resource.profile.invalid_dob"}},
		{map[string]any{"dob": "1990-02-30"}, 422, []string{"resource.profile.invalid_dob"}},
		{map[string]any{"confirm": "maybe"}, 422, []string{"resource.profile.non_boolean_confirm"}},
		{map[string]any{"first_name": []string{"a"}}, 422, []string{"resource.profile.non_string_first_name"}},
		{map[string]any{"first_name": "J0hn!", "city": "$", "country": "Mars", "metadata": "["}, 422,
			[]string{"first_name.invalid", "city.invalid", country, "metadata.invalid_format"}},
		{`{"first_name":`, 400, []string{"request.invalid_body"}},
	} {
		expect(t, c.do(t, "POST", res+"/profiles", tc.body), tc.status, tc.keys...)
	}
	if ps, _ := ts.DB.ProfilesByUser(context.Background(), u.ID); len(ps) != 0 {
		t.Fatalf("profiles written: %+v", ps)
	}
	resAWantEvents(t, ts.events(t))
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"city": "Lviv"}), 404, "resource.profile.doesnt_exist_or_not_editable")

	// Accepted forms: Unicode names, alpha-3 and lower-case codes, other
	// date forms, metadata as an object, blank optional fields.
	r := c.do(t, "POST", res+"/profiles", map[string]any{"first_name": "Олександр", "last_name": "O'Brien-Smith",
		"country": "ukr", "dob": "1990/01/15", "metadata": map[string]any{"a": 1}, "address": "", "confirm": false})
	expect(t, r, 201)
	m := r.json(t)
	if m["first_name"] != "Олександр" || m["last_name"] != "O************" || m["dob"] != "1990-01-**" ||
		m["country"] != "ukr" || m["metadata"] != `{"a":1}` || m["address"] != nil || m["state"] != "drafted" {
		t.Fatalf("profile %s", r.Body)
	}
	ts.events(t)
	// PUT validates the merged profile; a failed PUT writes nothing.
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"country": "Narnia", "city": "Lviv"}), 422, country)
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"dob": future}), 422, "dob.invalid")
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"dob": "soon"}), 422, "resource.profile.invalid_dob")
	resAWantEvents(t, ts.events(t))
	if ps, _ := ts.DB.ProfilesByUser(context.Background(), u.ID); ps[0].City != "" || ps[0].Country != "ukr" {
		t.Fatalf("profile changed: %+v", ps[0])
	}
	// PUT with nothing new: 200, no event.
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"country": "ukr"}), 200)
	resAWantEvents(t, ts.events(t))
	// A blank value clears a field.
	r = c.do(t, "PUT", res+"/profiles", map[string]any{"last_name": ""})
	expect(t, r, 200)
	if m := r.json(t); m["last_name"] != nil {
		t.Fatalf("cleared %s", r.Body)
	}
	evs := ts.events(t)
	resAWantEvents(t, evs, "model.profile.updated")
	if ch := evs[0].Body["changes"].(map[string]any); ch["last_name"] != "O'Brien-Smith" {
		t.Fatalf("changes %s", evs[0].Raw)
	}
}

func TestResourceProfilesMasking(t *testing.T) {
	t.Parallel()
	ts, c, _ := resAMember(t, map[string]string{"BARONG_API_DATA_MASKING_ENABLED": "false", "BARONG_EVENT_API_MASK_PII": "true"}, "member@example.com")
	r := c.do(t, "POST", res+"/profiles", resAProfileBody())
	expect(t, r, 201)
	if m := r.json(t); m["last_name"] != "Doe" || m["dob"] != "1990-01-15" {
		t.Fatalf("unmasked entity %s", r.Body)
	}
	ev := find(t, ts.events(t), "model.profile.created")
	rec := ev.Body["record"].(map[string]any)
	if rec["last_name"] != "D**" || rec["dob"] != "1990-01-**" || rec["first_name"] != "John" {
		t.Fatalf("masked event %s", ev.Raw)
	}
	expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"last_name": "Smith"}), 200)
	ev = find(t, ts.events(t), "model.profile.updated")
	rec, ch := ev.Body["record"].(map[string]any), ev.Body["changes"].(map[string]any)
	if rec["last_name"] != "S****" || ch["last_name"] != "D**" {
		t.Fatalf("masked update %s", ev.Raw)
	}
	me := c.do(t, "GET", res+"/profiles/me", nil)
	if !strings.Contains(string(me.Body), `"last_name":"Smith"`) {
		t.Fatalf("profiles %s", me.Body)
	}
}

// TestResourceProfilesOwnership: a user's profile is invisible to others
// and does not block theirs.
func TestResourceProfilesOwnership(t *testing.T) {
	t.Parallel()
	ts, alice, _ := resAMember(t, nil, "alice@example.com")
	bob, _ := ts.signUp(t, "bob@example.com")
	expect(t, bob.do(t, "POST", res+"/profiles", resAProfileBody()), 201)
	expect(t, alice.do(t, "GET", res+"/profiles/me", nil), 404, "resource.profile.not_exist")
	expect(t, alice.do(t, "PUT", res+"/profiles", map[string]any{"city": "Lviv"}), 404, "resource.profile.doesnt_exist_or_not_editable")
	expect(t, alice.do(t, "POST", res+"/profiles", map[string]any{"first_name": "Alice"}), 201)
	b := bob.do(t, "GET", res+"/profiles/me", nil)
	if !strings.Contains(string(b.Body), `"city":"Kyiv"`) || strings.Contains(string(b.Body), "Alice") {
		t.Fatalf("bob's profiles %s", b.Body)
	}
}
