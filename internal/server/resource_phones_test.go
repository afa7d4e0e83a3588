package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
)

// phoneMember starts a server with env and signs up a member (after a
// throwaway superadmin) with an active, level-1 account.
func phoneMember(t *testing.T, env map[string]string, email string) (*testServer, *client, *barong.User) {
	t.Helper()
	ts := newServer(t, env)
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, email)
	u := ts.activate(t, email)
	ts.events(t)
	return ts, c, u
}

// phoneRows returns the user's stored phones.
func phoneRows(t *testing.T, ts *testServer, userID int64) []barong.Phone {
	t.Helper()
	ps, err := ts.DB.PhonesByUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestResourcePhonesFlow(t *testing.T) {
	t.Parallel()
	ts, c, u := phoneMember(t, nil, "alice@example.com")
	r := c.do(t, "GET", res+"/phones", nil)
	expect(t, r, 200)
	if string(r.Body) != "[]" || r.Header.Get("Total") != "0" || r.Header.Get("Per-Page") != "100" {
		t.Fatalf("empty list %s %v", r.Body, r.Header)
	}
	r = c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "+380 (50) 123-45-67"})
	expect(t, r, 200)
	if string(r.Body) != `{"message":"Code was sent successfully via sms"}` {
		t.Fatalf("add %s", r.Body)
	}
	r = c.do(t, "POST", "/api/v2/resource/phones", url.Values{"phone_number": {"14155552671"}, "channel": {"call"}})
	expect(t, r, 200)
	if string(r.Body) != `{"message":"Code was sent successfully via call"}` {
		t.Fatalf("add by call %s", r.Body)
	}
	ps := phoneRows(t, ts, u.ID)
	if len(ps) != 2 || ps[0].Number != "380501234567" || ps[0].Country != "UA" || len(ps[0].Code) != 5 ||
		ps[0].ValidatedAt != nil || ps[1].Country != "US" {
		t.Fatalf("rows %+v", ps)
	}
	code := ps[0].Code
	r = c.do(t, "GET", "/api/v2/resource/phones", nil)
	expect(t, r, 200)
	if string(r.Body) != `[{"country":"UA","number":"380*****4567","validated_at":null},{"country":"US","number":"1******2671","validated_at":null}]` ||
		r.Header.Get("Total") != "2" {
		t.Fatalf("list %s", r.Body)
	}
	r = c.do(t, "GET", res+"/phones?page=2&limit=1", nil)
	if expect(t, r, 200); !strings.Contains(string(r.Body), `"US"`) || r.Header.Get("Page") != "2" {
		t.Fatalf("page 2 %s", r.Body)
	}
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567"}), 400, "resource.phone.exists")

	// send_code sends the same stored code again.
	r = c.do(t, "POST", res+"/phones/send_code", map[string]string{"phone_number": "+380501234567"})
	expect(t, r, 200)
	if string(r.Body) != `{"message":"Code was sent successfully via sms"}` || phoneRows(t, ts, u.ID)[0].Code != code {
		t.Fatalf("send_code %s", r.Body)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("adding phones emitted %v", names(evs))
	}

	// The mock accepts any code for the user's number.
	r = c.do(t, "POST", "/api/v2/resource/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": "00000"})
	expect(t, r, 201)
	m := r.json(t)
	if m["level"] != 2.0 || m["state"] != "active" || m["csrf_token"] != nil {
		t.Fatalf("verify %s", r.Body)
	}
	if got := strings.Join(jsonKeys(r.Body), ","); got != "email,uid,role,level,otp,state,referral_uid,data,username,labels,phones,profiles,data_storages,created_at,updated_at" {
		t.Fatalf("fields %s", got)
	}
	phones := m["phones"].([]any)
	validated, _ := phones[0].(map[string]any)["validated_at"].(string)
	if len(validated) != len("2020-06-01T07:03:18.000Z") || !strings.HasSuffix(validated, ".000Z") {
		t.Fatalf("validated_at %v", phones[0])
	}
	if ps := phoneRows(t, ts, u.ID); ps[0].ValidatedAt == nil || ps[1].ValidatedAt != nil {
		t.Fatalf("rows after verify %+v", ps)
	}
	l, err := ts.DB.LabelByKey(context.Background(), u.ID, "phone", "private")
	if err != nil || l.Value != "verified" {
		t.Fatalf("label %+v %v", l, err)
	}
	evs := ts.events(t)
	if got := strings.Join(names(evs), ","); got != "model.label.created,model.user.updated" {
		t.Fatalf("events %s", got)
	}
	if rec := evs[0].Body["record"].(map[string]any); rec["key"] != "phone" || rec["value"] != "verified" {
		t.Fatalf("label event %s", evs[0].Raw)
	}
	if ch := evs[1].Body["changes"].(map[string]any); ch["level"] != 1.0 {
		t.Fatalf("user event %s", evs[1].Raw)
	}

	// A verified number belongs to its owner: nobody can add, resend or verify it.
	for _, path := range []string{"/phones", "/phones/send_code"} {
		expect(t, c.do(t, "POST", res+path, map[string]string{"phone_number": "380501234567"}), 400, "resource.phone.number_exist")
	}
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": code}),
		400, "resource.phone.number_exist")
	other, _ := ts.signUp(t, "bob@example.com")
	expect(t, other.do(t, "POST", res+"/phones", map[string]string{"phone_number": "+380501234567"}), 400, "resource.phone.number_exist")
}

func TestResourcePhonesErrors(t *testing.T) {
	t.Parallel()
	ts, c, u := phoneMember(t, nil, "alice@example.com")
	bob, _ := ts.signUp(t, "bob@example.com")
	bobUser, _ := ts.DB.UserByEmail(context.Background(), "bob@example.com")
	expect(t, bob.do(t, "POST", res+"/phones", map[string]string{"phone_number": "4915123456789"}), 200)
	ts.events(t)
	missing := []string{"resource.phone.missing_phone_number", "resource.phone.empty_phone_number"}
	for _, tc := range []struct {
		path   string
		body   any
		status int
		keys   []string
	}{
		{"/phones", map[string]any{}, 400, missing},
		{"/phones", map[string]any{"phone_number": " "}, 400, missing[1:]},
		{"/phones", map[string]any{"channel": "fax"}, 400, append(missing, "resource.phone.invalid_channel")},
		{"/phones", map[string]any{"phone_number": "14155552671", "channel": "fax"}, 422, []string{"resource.phone.invalid_channel"}},
		{"/phones", map[string]any{"phone_number": "14155552671", "channel": ""}, 422, []string{"resource.phone.invalid_channel"}},
		{"/phones", map[string]any{"phone_number": "12345"}, 400, []string{"resource.phone.invalid_num"}},
		{"/phones", map[string]any{"phone_number": "+800 1234 5678"}, 400, []string{"resource.phone.invalid_num"}},
		{"/phones", map[string]any{"phone_number": strings.Repeat("9", 300)}, 400, []string{"resource.phone.invalid_num"}},
		{"/phones", map[string]any{"phone_number": map[string]any{"a": 1}}, 422, []string{"resource.phone.non_string_phone_number"}},
		{"/phones", "{", 400, []string{"request.invalid_body"}},
		{"/phones/send_code", map[string]any{}, 400, missing},
		{"/phones/send_code", map[string]any{"phone_number": "abc"}, 400, []string{"resource.phone.invalid_num"}},
		{"/phones/send_code", map[string]any{"phone_number": "14155552671"}, 404, []string{"resource.phone.doesnt_exist"}},
		{"/phones/send_code", map[string]any{"phone_number": "14155552671", "channel": "pigeon"}, 422, []string{"resource.phone.invalid_channel"}},
		{"/phones/verify", map[string]any{}, 400, append(append([]string{}, missing...),
			"resource.phone.missing_verification_code", "resource.phone.empty_verification_code")},
		{"/phones/verify", map[string]any{"phone_number": "14155552671", "verification_code": ""}, 400, []string{"resource.phone.empty_verification_code"}},
		{"/phones/verify", map[string]any{"phone_number": "1", "verification_code": "12345"}, 400, []string{"resource.phone.invalid_num"}},
		{"/phones/verify", map[string]any{"phone_number": "14155552671", "verification_code": "12345"}, 404, []string{"resource.phone.doesnt_exist"}},
		// Bob's unverified number is not Alice's: 404 and nothing changes.
		{"/phones/send_code", map[string]any{"phone_number": "+49 151 23456789"}, 404, []string{"resource.phone.doesnt_exist"}},
		{"/phones/verify", map[string]any{"phone_number": "+49 151 23456789", "verification_code": "1"}, 404, []string{"resource.phone.doesnt_exist"}},
	} {
		expect(t, c.do(t, "POST", res+tc.path, tc.body), tc.status, tc.keys...)
	}
	if ps := phoneRows(t, ts, u.ID); len(ps) != 0 {
		t.Fatalf("alice has phones %+v", ps)
	}
	if ps := phoneRows(t, ts, bobUser.ID); len(ps) != 1 || ps[0].ValidatedAt != nil {
		t.Fatalf("bob's phone changed %+v", ps)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("failed calls emitted %v", names(evs))
	}
	// An unverified number may be added by several users (as in Barong).
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "4915123456789"}), 200)
	if r := ts.client().do(t, "GET", res+"/phones", nil); r.Status != 401 {
		t.Fatalf("anonymous list %d", r.Status)
	}
}

func TestResourcePhonesRateLimits(t *testing.T) {
	t.Parallel()
	ts, c, u := phoneMember(t, nil, "alice@example.com")
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "14155552671"}), 200)
	for i := 0; i < 4; i++ {
		expect(t, c.do(t, "POST", res+"/phones/send_code", map[string]string{"phone_number": "14155552671"}), 200)
	}
	// Five codes in ten minutes: the sixth is refused, for a new number too.
	expect(t, c.do(t, "POST", res+"/phones/send_code", map[string]string{"phone_number": "14155552671"}), 429, "resource.phone.too_many_requests")
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567"}), 429, "resource.phone.too_many_requests")
	if ps := phoneRows(t, ts, u.ID); len(ps) != 1 {
		t.Fatalf("phones %+v", ps)
	}

	// Verification attempts are limited too (a 5-digit code must not be
	// guessable), per user; a mock provider accepts any code, so the
	// limit is reached with a number of another user.
	_, c2, _ := phoneMember(t, map[string]string{"BARONG_PHONE_VERIFICATION": "twilio_sms",
		"BARONG_TWILIO_ACCOUNT_SID": "AC1", "BARONG_TWILIO_AUTH_TOKEN": "tok",
		"BARONG_TWILIO_API_URL": newTwilioFake(t).srv.URL}, "carol@example.com")
	expect(t, c2.do(t, "POST", res+"/phones", map[string]string{"phone_number": "14155552671"}), 200)
	for i := 0; i < 10; i++ {
		expect(t, c2.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "14155552671", "verification_code": fmt.Sprint(i)}),
			404, "resource.phone.verification_invalid")
	}
	expect(t, c2.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "14155552671", "verification_code": "1"}),
		429, "resource.phone.too_many_requests")
}

// twilioFake stands in for api.twilio.com and verify.twilio.com.
type twilioFake struct {
	mu       sync.Mutex
	srv      *httptest.Server
	reqs     []twilioFakeReq
	failCode int
	status   string
}

type twilioFakeReq struct {
	Path string
	Form url.Values
}

func newTwilioFake(t *testing.T) *twilioFake {
	f := &twilioFake{status: "approved"}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid, tok, ok := r.BasicAuth(); !ok || sid != "AC1" || tok != "tok" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"code":20003,"status":401}`))
			return
		}
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reqs = append(f.reqs, twilioFakeReq{r.URL.Path, r.PostForm})
		if f.failCode != 0 {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"code":%d,"message":"refused","status":400}`, f.failCode)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/VerificationCheck") {
			_ = json.NewEncoder(w).Encode(map[string]string{"status": f.status})
			return
		}
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM1"}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *twilioFake) set(failCode int, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCode, f.status = failCode, status
}

func (f *twilioFake) last(t *testing.T) twilioFakeReq {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("twilio got no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func twilioEnv(f *twilioFake, mode string) map[string]string {
	return map[string]string{"BARONG_PHONE_VERIFICATION": mode, "BARONG_TWILIO_ACCOUNT_SID": "AC1",
		"BARONG_TWILIO_AUTH_TOKEN": "tok", "BARONG_TWILIO_SERVICE_SID": "VA1", "BARONG_TWILIO_API_URL": f.srv.URL,
		"BARONG_SMS_CONTENT_TEMPLATE": "Code {{code}} for Exchange"}
}

// twilioErrorKeys are Twilio error codes and the keys they answer with.
var twilioErrorKeys = map[int]string{21612: "resource.phone.num_not_reachable", 21614: "resource.phone.num_not_valid",
	21618: "resource.phone.sms_content_invalid", 21610: "resource.phone.unsubscribed_recipient",
	30003: "resource.phone.twilio_unexpected"}

func TestResourcePhonesTwilioSMS(t *testing.T) {
	t.Parallel()
	f := newTwilioFake(t)
	ts, c, u := phoneMember(t, twilioEnv(f, "twilio_sms"), "alice@example.com")
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "+1 415 555 2671"}), 200)
	code := phoneRows(t, ts, u.ID)[0].Code
	req := f.last(t)
	if req.Path != "/2010-04-01/Accounts/AC1/Messages.json" || req.Form.Get("To") != "+14155552671" ||
		req.Form.Get("From") != "+15005550000" || req.Form.Get("Body") != "Code "+code+" for Exchange" {
		t.Fatalf("twilio request %+v", req)
	}
	expect(t, c.do(t, "POST", res+"/phones/send_code", map[string]string{"phone_number": "14155552671"}), 200)
	if f.last(t).Form.Get("Body") != "Code "+code+" for Exchange" {
		t.Fatal("send_code did not resend the stored code")
	}
	wrong := fmt.Sprintf("%05d", (atoiPhone(code)+1)%100000)
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "14155552671", "verification_code": wrong}),
		404, "resource.phone.verification_invalid")
	if phoneRows(t, ts, u.ID)[0].ValidatedAt != nil {
		t.Fatal("validated with a wrong code")
	}
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "14155552671", "verification_code": code}), 201)

	// Each Twilio error answers 422 with its key; nothing is stored.
	i := 0
	for twCode, key := range twilioErrorKeys {
		i++
		f.set(twCode, "approved")
		cu, _ := ts.signUp(t, fmt.Sprintf("err%d@example.com", i))
		expect(t, cu.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567"}), 422, key)
	}
	f.set(0, "approved")
	if ps, _ := ts.DB.PhonesByNumber(context.Background(), "380501234567"); len(ps) != 0 {
		t.Fatalf("phones stored despite Twilio errors: %+v", ps)
	}
}

func TestResourcePhonesTwilioVerify(t *testing.T) {
	t.Parallel()
	f := newTwilioFake(t)
	ts, c, u := phoneMember(t, twilioEnv(f, "twilio_verify"), "alice@example.com")
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567", "channel": "call"}), 200)
	if req := f.last(t); req.Path != "/v2/Services/VA1/Verifications" || req.Form.Get("To") != "+380501234567" || req.Form.Get("Channel") != "call" {
		t.Fatalf("verification request %+v", req)
	}
	f.set(0, "pending")
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": "123456"}),
		404, "resource.phone.verification_invalid")
	for twCode, key := range twilioErrorKeys {
		f.set(twCode, "approved")
		expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": "123456"}), 422, key)
	}
	f.set(0, "approved")
	expect(t, c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": "123456"}), 201)
	if req := f.last(t); req.Path != "/v2/Services/VA1/VerificationCheck" || req.Form.Get("Code") != "123456" {
		t.Fatalf("check request %+v", req)
	}
	if ps := phoneRows(t, ts, u.ID); ps[0].ValidatedAt == nil {
		t.Fatal("not validated")
	}

	// Twilio unreachable: 422 twilio_unexpected, never a 500.
	f.srv.Close()
	c2, _ := ts.signUp(t, "bob@example.com")
	expect(t, c2.do(t, "POST", res+"/phones", map[string]string{"phone_number": "14155552671"}), 422, "resource.phone.twilio_unexpected")
}

func atoiPhone(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
