package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/token"
)

func TestManagementPhones(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	u := mgmtUser(t, m.testServer, "phone@example.com")
	other := mgmtUser(t, m.testServer, "other@example.com")
	if err := m.DB.CreatePhone(ctx, &barong.Phone{UserID: other.ID, Country: "DE", Number: "4915123456789"}); err != nil {
		t.Fatal(err)
	}
	r := m.call(t, "/phones", map[string]string{"uid": u.UID, "number": "+380 (50) 123-45-67"})
	mgmtExpect(t, r, 201, "")
	p := r.json(t)
	if p["number"] != "380501234567" || p["country"] != "UA" || !strings.HasSuffix(p["validated_at"].(string), ".000Z") ||
		strings.Join(mgmtKeysOf(t, r.Body), ",") != "country,number,validated_at" {
		t.Fatalf("phone %s", r.Body)
	}
	if l, err := m.DB.LabelByKey(ctx, u.ID, "phone", ""); err == nil {
		t.Fatalf("no phone label expected, got %+v", l)
	}
	// An unverified number of another user may be added; a verified one not.
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"uid": u.UID, "number": "4915123456789"}), 201, "")
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"uid": other.UID, "number": "380501234567"}), 400, `{"error":"management.phone.number_exist"}`)
	if err := m.DB.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: "US", Number: "14155552671"}); err != nil {
		t.Fatal(err)
	}
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"uid": u.UID, "number": "14155552671"}), 400, `{"error":"management.phone.exists"}`)
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"uid": u.UID, "number": "12345"}), 400, `{"error":"management.phone.invalid_num"}`)
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"uid": "IDNOPE000000", "number": "14155552671"}), 422, mgmtNoUserMsg)
	mgmtExpect(t, m.call(t, "/phones", map[string]string{"number": " "}), 422, `{"error":"uid is missing, uid is empty, number is empty"}`)

	r = m.callAs(t, "POST", "/phones/get", map[string]string{"uid": u.UID}, m.peatio)
	mgmtExpect(t, r, 201, "")
	if list := jsonList(t, r); len(list) != 3 || list[0]["number"] != "380501234567" {
		t.Fatalf("phones %s", r.Body)
	}
	mgmtExpect(t, m.callAs(t, "POST", "/phones/get", map[string]string{"uid": "IDNOPE000000"}, m.peatio), 422, mgmtNoUserMsg)

	r = m.call(t, "/phones/delete", map[string]string{"uid": u.UID, "number": "+1 415 555 2671"})
	mgmtExpect(t, r, 201, "")
	if r.json(t)["number"] != "14155552671" {
		t.Fatalf("deleted %s", r.Body)
	}
	for _, n := range []string{"14155552671", "nope"} {
		mgmtExpect(t, m.call(t, "/phones/delete", map[string]string{"uid": u.UID, "number": n}), 422, `{"error":"management.phone.doesnt_exists"}`)
	}
	// Another user's phone is not this user's.
	mgmtExpect(t, m.call(t, "/phones/delete", map[string]string{"uid": other.UID, "number": "380501234567"}), 422, `{"error":"management.phone.doesnt_exists"}`)
	mgmtExpect(t, m.call(t, "/phones/delete", map[string]string{"uid": "IDNOPE000000", "number": "380501234567"}), 422, mgmtNoUserMsg)
	if ps, _ := m.DB.PhonesByUser(ctx, other.ID); len(ps) != 1 {
		t.Fatalf("other user's phones %+v", ps)
	}
}

func TestManagementLabels(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	u := mgmtUser(t, m.testServer, "label@example.com")
	m.events(t)
	r := m.call(t, "/labels", map[string]string{"user_uid": u.UID, "key": " Email ", "value": "Verified", "description": "confirmed elsewhere"})
	mgmtExpect(t, r, 201, "")
	if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != "key,value,scope,created_at,updated_at" {
		t.Fatalf("Label fields %s", got)
	}
	if l := r.json(t); l["key"] != "email" || l["value"] != "verified" || l["scope"] != "private" {
		t.Fatalf("label %s", r.Body)
	}
	if cur, _ := m.DB.UserByID(ctx, u.ID); cur.State != "active" || cur.Level != 1 {
		t.Fatalf("private label did not recompute: %+v", cur)
	}
	if evs := strings.Join(names(m.events(t)), ","); !strings.Contains(evs, "model.label.created") || !strings.Contains(evs, "model.user.updated") {
		t.Fatalf("events %s", evs)
	}
	mgmtExpect(t, m.call(t, "/labels", map[string]string{"user_uid": u.UID, "key": "email", "value": "verified"}), 422,
		`{"key":["Key has already been taken"]}`)
	mgmtExpect(t, m.call(t, "/labels", map[string]string{"user_uid": u.UID, "key": "A!", "value": "x"}), 422,
		`{"key":["Key is too short (minimum is 3 characters)","Key is invalid"],"value":["Value is too short (minimum is 3 characters)"]}`)
	mgmtExpect(t, m.call(t, "/labels", map[string]string{"user_uid": "IDNOPE000000", "key": "kyc", "value": "done"}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/labels", map[string]string{"user_uid": u.UID}), 422,
		`{"error":"key is missing, key is empty, value is missing, value is empty"}`)

	r = m.call(t, "/labels/list", map[string]string{"user_uid": u.UID})
	mgmtExpect(t, r, 201, "")
	if got := string(r.Body); !strings.Contains(got, `"description":"confirmed elsewhere"`) {
		t.Fatalf("AdminLabelView %s", got)
	}
	mgmtExpect(t, m.call(t, "/labels/list", map[string]string{"user_uid": "IDNOPE000000"}), 404, mgmtNotFound)

	// PUT: update, create when missing, 404 without replace.
	r = m.callAs(t, "PUT", "/labels", map[string]string{"user_uid": u.UID, "key": "email", "value": "rejected"}, m.applogic)
	mgmtExpect(t, r, 200, "")
	if r.json(t)["value"] != "rejected" {
		t.Fatalf("updated %s", r.Body)
	}
	mgmtExpect(t, m.callAs(t, "PUT", "/labels", map[string]any{"user_uid": u.UID, "key": "kyc", "value": "done", "replace": false}, m.applogic),
		404, `{"error":"label doesnt exist"}`)
	mgmtExpect(t, m.callAs(t, "PUT", "/labels", map[string]any{"user_uid": u.UID, "key": "kyc", "value": "done"}, m.applogic), 200, "")
	if l, err := m.DB.LabelByKey(ctx, u.ID, "kyc", "private"); err != nil || l.Value != "done" {
		t.Fatalf("replace created %v %v", l, err)
	}
	mgmtExpect(t, m.callAs(t, "PUT", "/labels", map[string]any{"user_uid": u.UID, "key": "kyc", "value": "d", "replace": "perhaps"}, m.applogic),
		422, `{"error":"replace is invalid"}`)
	mgmtExpect(t, m.callAs(t, "PUT", "/labels", map[string]any{"user_uid": u.UID, "key": "kyc", "value": "d!"}, m.applogic),
		422, `{"value":["Value is too short (minimum is 3 characters)","Value is invalid"]}`)

	// filter/users.
	other := mgmtUser(t, m.testServer, "label2@example.com")
	if err := m.DB.CreateLabel(ctx, &barong.Label{UserID: other.ID, Key: "kyc", Value: "pending", Scope: "public"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data map[string]any
		want []string
	}{
		{map[string]any{"key": "kyc"}, []string{u.UID, other.UID}},
		{map[string]any{"key": "kyc", "value": "done"}, []string{u.UID}},
		{map[string]any{"key": "kyc", "scope": "public", "extended": true}, []string{other.UID}},
		{map[string]any{"key": "nothing"}, nil},
	} {
		r := m.call(t, "/labels/filter/users", c.data)
		mgmtExpect(t, r, 200, "")
		var got []string
		for _, e := range jsonList(t, r) {
			got = append(got, e["uid"].(string))
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") || r.Header.Get("Total") == "" {
			t.Fatalf("%v: %v %v", c.data, got, r.Header)
		}
	}
	mgmtExpect(t, m.call(t, "/labels/filter/users", map[string]any{"value": "", "limit": "x"}), 422,
		`{"error":"key is missing, key is empty, value is empty, limit non_integer_limit"}`)

	// delete.
	r = m.call(t, "/labels/delete", map[string]string{"user_uid": u.UID, "key": "email"})
	mgmtExpect(t, r, 204, "")
	if cur, _ := m.DB.UserByID(ctx, u.ID); cur.State != "pending" || cur.Level != 0 {
		t.Fatalf("delete did not recompute: %+v", cur)
	}
	mgmtExpect(t, m.call(t, "/labels/delete", map[string]string{"user_uid": u.UID, "key": "email"}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/labels/delete", map[string]string{"user_uid": other.UID, "key": "kyc"}), 404, mgmtNotFound) // public
}

func TestManagementOTPSign(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	u := mgmtUser(t, m.testServer, "otp@example.com", func(u *barong.User) { u.State = "active" })
	secret := mgmtEnableOTP(t, m.testServer, u)
	// The JWS to countersign: applogic's withdrawal request, with a stale
	// barong signature that must be replaced.
	inner := mgmtBody(t, mgmtClaims(map[string]any{"amount": "1.5"}), m.applogic)
	var jws map[string]any
	_ = json.Unmarshal(inner, &jws)
	jws["signatures"] = append(jws["signatures"].([]any), map[string]any{"header": map[string]string{"kid": "barong"},
		"protected": "e30", "signature": "c3RhbGU"})
	r := m.call(t, "/otp/sign", map[string]any{"user_uid": u.UID, "otp_code": mgmtTOTP(t, secret), "jwt": jws})
	mgmtExpect(t, r, 201, "")
	key := m.Keys.Signing()
	_, signers, err := token.VerifyGeneral(r.Body, []token.VerifyKey{
		{KID: "barong", Algorithm: key.Algorithm(), Public: key.Public()},
		{KID: "applogic", Algorithm: "RS256", Public: m.applogic.priv.Public()}})
	if err != nil || strings.Join(signers, ",") != "applogic,barong" {
		t.Fatalf("signed %s: %v %v", r.Body, signers, err)
	}
	if n := strings.Count(string(r.Body), `"kid":"barong"`); n != 1 {
		t.Fatalf("%d barong signatures: %s", n, r.Body)
	}
	// The code was used; a wrong one is refused.
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": u.UID, "otp_code": mgmtTOTP(t, secret), "jwt": jws}), 422,
		`{"error":"OTP code is invalid"}`)
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": u.UID, "otp_code": "12", "jwt": jws}), 422, `{"error":"OTP code is invalid"}`)
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": u.UID, "otp_code": "123456", "jwt": map[string]any{"payload": "e30"}}), 422,
		`{"error":"JWT is invalid by the reason \"Invalid segment encoding\""}`)
	plain := mgmtUser(t, m.testServer, "no2fa@example.com", func(u *barong.User) { u.State = "active" })
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": plain.UID, "otp_code": "123456", "jwt": jws}), 422,
		`{"error":"Account has not enabled 2FA"}`)
	pending := mgmtUser(t, m.testServer, "pending@example.com")
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": pending.UID, "otp_code": "123456", "jwt": jws}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": u.UID, "otp_code": "123456", "jwt": "x"}), 422, `{"error":"jwt is invalid"}`)
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{}), 422,
		`{"error":"user_uid is missing, user_uid is empty, otp_code is missing, otp_code is empty, jwt is missing, jwt is empty"}`)
}

func TestManagementDocuments(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	u := mgmtUser(t, m.testServer, "doc@example.com")
	file := base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff\xe0 a jpeg of a passport"))
	expire := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	doc := func(mod map[string]any) map[string]any {
		d := map[string]any{"uid": u.UID, "doc_type": "Passport", "doc_number": "AB 123456", "filename": "passport",
			"file_ext": ".jpg", "upload": file, "doc_expire": expire, "metadata": map[string]string{"source": "kyc-bot"}}
		for k, v := range mod {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		return d
	}
	m.events(t)
	mgmtExpect(t, m.call(t, "/documents", doc(nil)), 201, "201")
	docs, _ := m.DB.DocumentsByUser(ctx, u.ID)
	if len(docs) != 1 || docs[0].DocNumber != "AB 123456" || docs[0].Metadata != `{"source":"kyc-bot"}` || !strings.HasSuffix(docs[0].Upload, "/passport.jpg") {
		t.Fatalf("documents %+v", docs)
	}
	stored, err := os.ReadFile(filepath.Join(m.uploads, docs[0].Upload))
	if err != nil || string(stored) != "\xff\xd8\xff\xe0 a jpeg of a passport" {
		t.Fatalf("stored file %q %v", stored, err)
	}
	if l, err := m.DB.LabelByKey(ctx, u.ID, "document", "private"); err != nil || l.Value != "pending" {
		t.Fatalf("document label %v %v", l, err)
	}
	if evs := strings.Join(names(m.events(t)), ","); !strings.Contains(evs, "model.document.created") {
		t.Fatalf("events %s", evs)
	}
	// users/get shows it, number unmasked.
	r := m.call(t, "/users/get", map[string]string{"uid": u.UID})
	d := r.json(t)["documents"].([]any)[0].(map[string]any)
	if d["doc_number"] != "AB 123456" || !strings.HasPrefix(d["upload"].(map[string]any)["url"].(string), "/"+docs[0].Upload+"?expires=") || d["doc_expire"] != expire {
		t.Fatalf("document entity %v", d)
	}
	// Without labels; the extension without its dot.
	other := mgmtUser(t, m.testServer, "doc2@example.com")
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"uid": other.UID, "update_labels": false, "file_ext": "png"})), 201, "201")
	if _, err := m.DB.LabelByKey(ctx, other.ID, "document", ""); err == nil {
		t.Fatal("update_labels=false set a label")
	}

	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"uid": "IDNOPE000000"})), 404, `{"errors":["user doesnt exist"]}`)
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"doc_type": "Selfie", "file_ext": ".exe", "doc_expire": nil})), 422,
		`{"error":"Doc type is not included in the list, Upload carrierwave_integrity_error, and Doc expire can't be blank"}`)
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"doc_expire": "2001-01-01", "doc_number": "AB#1"})), 422,
		`{"error":"Doc expire is invalid and Doc number is invalid"}`)
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"upload": ""})), 422, `{"error":"Upload can't be blank"}`)
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"upload": "%%%"})), 422, `{"error":"Upload is invalid"}`)
	mgmtExpect(t, m.call(t, "/documents", doc(map[string]any{"doc_expire": "soon", "update_labels": "perhaps", "metadata": []int{1}})), 422,
		`{"error":"doc_expire management.documents.expire_not_a_date, update_labels management.documents.update_labels_invalid, metadata is invalid"}`)
	mgmtExpect(t, m.call(t, "/documents", map[string]any{}), 422, `{"error":"uid is missing, uid is empty, doc_type is missing, doc_type is empty, `+
		`doc_number is missing, doc_number is empty, filename is missing, filename is empty, file_ext is missing, file_ext is empty, upload is missing"}`)
	if docs, _ := m.DB.DocumentsByUser(ctx, u.ID); len(docs) != 1 {
		t.Fatalf("failed uploads wrote documents: %d", len(docs))
	}
	entries, _ := os.ReadDir(filepath.Join(m.uploads, "uploads", "document", "upload"))
	if len(entries) != 2 {
		t.Fatalf("%d stored files, want 2", len(entries))
	}
}
