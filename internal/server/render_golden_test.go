package server_test

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the golden files of render_golden_test.go")

// goldenNormalizer replaces the values that change from run to run (UIDs,
// times, tokens, hashes, signed links) by stable placeholders, keeping the
// rest of the bytes (order, nulls, escaping) as they are.
type goldenNormalizer struct {
	uids map[string]string
}

var (
	goldenUID   = regexp.MustCompile(`ID[0-9A-F]{10}`)
	goldenTime  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z`)
	goldenJWT   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	goldenHex   = regexp.MustCompile(`[0-9a-fA-F]{32,}`)
	goldenCSRF  = regexp.MustCompile(`"csrf_token":"[^"]*"`)
	goldenURL   = regexp.MustCompile(`"(url|upload)":"[^"]+"`)
	goldenDates = regexp.MustCompile(`\d{4}-\d\d-\d\d`)
)

func (n *goldenNormalizer) norm(b []byte) string {
	s := goldenUID.ReplaceAllStringFunc(string(b), func(uid string) string {
		if v, ok := n.uids[uid]; ok {
			return v
		}
		v := fmt.Sprintf("UID%d", len(n.uids)+1)
		n.uids[uid] = v
		return v
	})
	s = goldenJWT.ReplaceAllString(s, "<jwt>")
	s = goldenCSRF.ReplaceAllString(s, `"csrf_token":"<csrf>"`)
	s = goldenURL.ReplaceAllString(s, `"$1":"<url>"`)
	s = goldenTime.ReplaceAllStringFunc(s, func(t string) string {
		if len(t) > 20 {
			return "<time.ms>"
		}
		return "<time>"
	})
	s = goldenHex.ReplaceAllString(s, "<hex>")
	return goldenDates.ReplaceAllString(s, "<date>")
}

// checkGolden compares got with testdata/name, or rewrites it with
// -update-golden.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update-golden)", path, err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s", path, i+1, g, w)
			}
		}
	}
}

// TestRenderGolden records, byte for byte, the events and the HTTP bodies of
// a flow that goes through every entity and event record (nulls, masking,
// HTML-sensitive characters), so that a change of the renderers that
// changes a byte fails here.
func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"render_plain.golden", map[string]string{"BARONG_API_DATA_MASKING_ENABLED": "false"}},
		{"render_masked.golden", map[string]string{"BARONG_EVENT_API_MASK_PII": "true", "BARONG_API_DATA_MASKING_ENABLED": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, tc.name, renderFlow(t, tc.env))
		})
	}
}

func renderFlow(t *testing.T, env map[string]string) []byte {
	e := map[string]string{"BARONG_CONFIG": admConfigFile(t, "user_storage_titles: [personal]\ndocument_types: [Passport, Identity card]\n")}
	for k, v := range env {
		e[k] = v
	}
	ts, _, _, _ := docServer(t, e)
	ts.events(t)
	n := &goldenNormalizer{uids: map[string]string{}}
	var out bytes.Buffer
	events := func() {
		for _, e := range ts.events(t) {
			fmt.Fprintf(&out, "event %s\n", n.norm(e.Raw))
		}
	}
	body := func(label string, r *response) {
		fmt.Fprintf(&out, "%s %d %s\n", label, r.Status, n.norm(r.Body))
	}

	// A fresh member (not activated by hand): confirmation, sign-in.
	root := ts.client()
	r := root.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": "root@example.com", "password": strongPassword})
	expect(t, r, 201)
	root.csrf, _ = r.json(t)["csrf_token"].(string)
	body("root.signin", r)
	rootUID, _ := r.json(t)["uid"].(string)

	email := "bob+golden@example.com"
	c := ts.client()
	r = c.do(t, "POST", "/api/v2/auth/identity/users", map[string]string{"email": email, "password": strongPassword,
		"username": "Bob1", "refid": rootUID, "data": `{"lang":"<en>&"}`})
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	body("signup", r)
	var token string
	for _, e := range ts.events(t) {
		fmt.Fprintf(&out, "event %s\n", n.norm(e.Raw))
		if e.Name == "system.user.email.confirmation.token" {
			token, _ = e.record()["token"].(string)
		}
	}
	body("confirm", ts.client().do(t, "POST", "/api/v2/identity/users/email/confirm_code", map[string]string{"token": token}))
	events()
	r = c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": strongPassword})
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	body("signin", r)
	events()
	info := r.json(t)
	uid, _ := info["uid"].(string)

	body("configs", c.do(t, "GET", "/api/v2/identity/configs", nil))
	// Profiles with characters that JSON escapes for HTML.
	body("profile.create", c.do(t, "POST", res+"/profiles", map[string]any{"first_name": "Jöhn", "last_name": "Doe",
		"dob": "1990-01-15", "address": `1 Main St., Apt #5 (rear)`, "postcode": "01001", "city": "Kyiv", "country": "UA",
		"metadata": `{"note":"<b>&amp;</b>","u":"\u2028"}`}))
	events()
	body("profile.update", c.do(t, "PUT", res+"/profiles", map[string]any{"city": "Lviv", "last_name": "Smith", "confirm": true}))
	events()
	body("profiles", c.do(t, "GET", res+"/profiles/me", nil))
	body("datastorage", c.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": `{"job":"<pilot> & co"}`}))
	events()
	body("document", docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "AB123456CD",
		"doc_expire", "2099-01-01", "metadata", `{"a":"<x>"}`), docPNG("front.png")))
	events()
	body("document.minimal", docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "X1",
		"doc_expire", "2099-01-01"), docPNG("back.png")))
	events()
	body("documents", c.do(t, "GET", res+"/documents", nil))
	body("labels", c.do(t, "GET", res+"/labels", nil))
	body("label", c.do(t, "GET", res+"/labels/email", nil))
	body("me", c.do(t, "GET", res+"/users/me", nil))
	body("apikeys", c.do(t, "GET", res+"/api_keys", nil))
	body("activity", c.do(t, "GET", res+"/users/activity/all", nil))

	// Admin views and label events (created, updated with and without a
	// description, verdicts).
	label := map[string]string{"uid": uid, "key": "document", "value": "verified", "scope": "private"}
	body("adm.label.verify", root.do(t, "POST", adm+"/users/labels/update", label))
	events()
	kyc := map[string]string{"uid": uid, "key": "kyc", "value": "basic", "scope": "private", "description": "d<1>"}
	body("adm.label.create", root.do(t, "POST", adm+"/users/labels", kyc))
	events()
	kyc["description"] = "d2"
	body("adm.label.describe", root.do(t, "POST", adm+"/users/labels/update", kyc))
	events()
	label["value"], label["description"] = "rejected", "bad <scan> & blur"
	body("adm.label.update", root.do(t, "POST", adm+"/users/labels/update", label))
	events()
	body("adm.label.public", root.do(t, "POST", adm+"/users/labels", map[string]string{"uid": uid, "key": "tier", "value": "gold", "scope": "public"}))
	events()
	body("adm.comment", root.do(t, "POST", adm+"/users/comments", map[string]string{"uid": uid, "title": "t<1>", "data": "d&2"}))
	events()
	body("adm.user", root.do(t, "GET", adm+"/users/"+uid, nil))
	body("adm.users", root.do(t, "GET", adm+"/users?"+url.Values{"extended": {"true"}}.Encode(), nil))
	body("adm.users.plain", root.do(t, "GET", adm+"/users", nil))
	body("adm.profiles", root.do(t, "GET", adm+"/profiles", nil))
	body("adm.activities", root.do(t, "GET", adm+"/activities", nil))
	body("adm.activities.admin", root.do(t, "GET", adm+"/activities/admin", nil))
	body("adm.abilities", root.do(t, "GET", adm+"/abilities", nil))
	body("adm.levels", root.do(t, "GET", adm+"/levels", nil))
	body("adm.labels.list", root.do(t, "GET", adm+"/users/labels/list", nil))
	body("adm.metrics", root.do(t, "GET", adm+"/metrics", nil))
	body("adm.permissions", root.do(t, "GET", adm+"/permissions?limit=3", nil))
	body("adm.restrictions", root.do(t, "GET", adm+"/restrictions", nil))
	body("adm.apikeys", root.do(t, "GET", adm+"/api_keys?uid="+uid, nil))

	// Passwords, sessions.
	body("reset", c.do(t, "POST", "/api/v2/identity/users/password/generate_code", map[string]string{"email": email}))
	var reset string
	for _, e := range ts.events(t) {
		fmt.Fprintf(&out, "event %s\n", n.norm(e.Raw))
		if e.Name == "system.user.password.reset.token" {
			reset, _ = e.record()["token"].(string)
		}
	}
	newPW := strongPassword + "-2"
	body("reset.confirm", ts.client().do(t, "POST", "/api/v2/identity/users/password/confirm_code", map[string]string{
		"reset_password_token": reset, "password": newPW, "confirm_password": newPW}))
	events()
	c = ts.client()
	r = c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": newPW})
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	events()
	c2 := ts.client()
	r = c2.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": newPW})
	c2.csrf, _ = r.json(t)["csrf_token"].(string)
	events()
	r = c2.do(t, "GET", res+"/sessions", nil)
	// Sessions opened in the same second are listed in any order.
	var items []string
	for _, it := range admRawItems(t, r.Body) {
		items = append(items, n.norm(it))
	}
	sort.Strings(items)
	fmt.Fprintf(&out, "sessions %d [%s]\n", r.Status, strings.Join(items, ","))
	var other string
	for _, s := range jsonList(t, r) {
		if s["current"] == false {
			other, _ = s["id"].(string)
		}
	}
	if other == "" {
		t.Fatalf("no other session in %s", r.Body)
	}
	body("session.revoke", c2.do(t, "DELETE", res+"/sessions/"+other, nil))
	events()
	body("password.change", c2.do(t, "PUT", res+"/users/password", map[string]string{
		"old_password": newPW, "new_password": strongPassword, "confirm_password": strongPassword}))
	events()
	body("activity.session", c2.do(t, "GET", res+"/users/activity/session", nil))
	body("delete", c2.do(t, "DELETE", "/api/v2/resource/users/me?"+url.Values{"password": {strongPassword}}.Encode(), nil))
	events()
	return out.Bytes()
}
