package api

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/config"
)

func TestFullMessages(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"email.invalid":                             "Email is invalid",
		"email.blank":                               "Email can't be blank",
		"email.taken":                               "Email has already been taken",
		"role.doesnt_exist":                         "Role doesnt_exist",
		"referral_id.doesnt_exist":                  "Referral doesnt_exist",
		"email_or_uid.not_uniq":                     "Email or uid not_uniq",
		"key.too_short":                             "Key is too short (minimum is 3 characters)",
		"first_name.too_short":                      "First name is too short (minimum is 1 character)",
		"data.too_long":                             "Data is too long (maximum is 1024 characters)",
		"doc_type.inclusion":                        "Doc type is not included in the list",
		"title.exclusion":                           "Title is reserved",
		"country.must have alpha2 or alpha3 format": "Country must have alpha2 or alpha3 format",
		"other.too_long":                            "Other is too long",
	} {
		if got := fullMessage(key); got != want {
			t.Errorf("fullMessage(%q) = %q, want %q", key, got, want)
		}
	}
	for n, want := range map[int]string{0: "", 1: "a", 2: "a and b", 3: "a, b, and c"} {
		if got := toSentence([]string{"a", "b", "c"}[:n]); got != want {
			t.Errorf("toSentence(%d) = %q", n, got)
		}
	}
	body := func(err error) string {
		var me *mgmtError
		if !errors.As(err, &me) || me.status != 422 {
			t.Fatalf("not a 422: %v", err)
		}
		b, _ := json.Marshal(me.body)
		return string(b)
	}
	model := &app.ModelError{Keys: []string{"key.invalid", "value.blank", "key.taken"}}
	if got := body(modelByAttribute(model)); got != `{"key":["Key is invalid","Key has already been taken"],"value":["Value can't be blank"]}` {
		t.Errorf("by attribute: %s", got)
	}
	if got := body(modelKeys(model)); got != `{"errors":["key.invalid","value.blank","key.taken"]}` {
		t.Errorf("keys: %s", got)
	}
	if got := body(modelSentence(model)); got != `{"error":"Key is invalid, Value can't be blank, and Key has already been taken"}` {
		t.Errorf("sentence: %s", got)
	}
	other := errors.New("boom")
	if modelFull(other) != other {
		t.Error("a non-model error must pass through")
	}
}

func TestClaimChecks(t *testing.T) {
	t.Parallel()
	c, err := claimChecks(map[string]any{":verify_iss": true, "iss": "applogic", "verify_aud": true, "aud": []any{"a", "b"},
		"verify_sub": false, "sub": "x", "verify_iat": true, "leeway": 5, "exp_leeway": 1.5})
	if err != nil || c.Issuer != "applogic" || strings.Join(c.Audience, ",") != "a,b" || c.Subject != "" || !c.IssuedAt || !c.JTI ||
		c.Leeway != 5*time.Second || c.ExpirationLeeway != 1500*time.Millisecond {
		t.Fatalf("%+v %v", c, err)
	}
	if c, _ := claimChecks(map[string]any{"iss": "applogic", "verify_jti": false}); c.Issuer != "" || !c.JTI {
		t.Fatalf("iss without verify_iss, jti always: %+v", c)
	}
	if _, err := claimChecks(map[string]any{"leeway": "ten"}); err == nil {
		t.Fatal("a leeway that is not a number must be refused")
	}
}

// fuzzManagement is a management family with one Ed25519 signer whose
// private key the fuzzer never sees.
func fuzzManagement(t testing.TB) *management {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), cfg: Config{MaxUploadBytes: 1 << 20}}
	m := &management{s: s, cfg: ManagementConfig{Now: time.Now, API: config.ManagementAPI{
		Keychain: map[string]config.ManagementKey{"applogic": {Algorithm: "EdDSA", PublicKey: pub}},
		Scopes:   map[string]config.ManagementScope{"tools": {PermittedSigners: []string{"applogic"}, MandatorySigners: []string{"applogic"}}},
	}}}
	m.checks, _ = claimChecks(nil)
	return m
}

// FuzzManagementVerify feeds arbitrary bodies to the request verification:
// without the signer's key nothing may pass, and every refusal is one of
// Barong's management answers.
func FuzzManagementVerify(f *testing.F) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"1","data":{}}`))
	for _, s := range []string{"", "{}", "[]", `{"payload":"` + payload + `","signatures":[]}`,
		`{"payload":"` + payload + `","signatures":[{"protected":"eyJhbGciOiJFZERTQSJ9","header":{"kid":"applogic"},"signature":"AAAA"}]}`,
		`{"payload":"` + payload + `","signatures":[{"protected":"eyJhbGciOiJIUzI1NiJ9","header":{"kid":"applogic"},"signature":""}]}`,
		`{"payload":1,"signatures":{}}`} {
		f.Add([]byte(s))
	}
	m := fuzzManagement(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v2/management/timestamp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		data, err := m.verify(httptest.NewRecorder(), req, "tools")
		var me *mgmtError
		if err == nil || data != nil || !errors.As(err, &me) {
			t.Fatalf("body %q verified: %v %v", body, data, err)
		}
		if me.status != http.StatusBadRequest && me.status != http.StatusUnauthorized {
			t.Fatalf("body %q: status %d", body, me.status)
		}
	})
}

// FuzzManagementParams reads arbitrary data with every reader: no panic,
// and every message names a parameter.
func FuzzManagementParams(f *testing.F) {
	for _, s := range []string{`{}`, `{"uid":" ","page":"x","limit":1000,"extended":"maybe"}`, `{"uid":[1],"dob":"1990-01-01","from":1.5}`,
		`{"email":{"a":1},"phone_num":null,"metadata":{"k":"v"},"jwt":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var data map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&data) != nil {
			return
		}
		p := newMParams(data)
		p.Required("uid")
		p.Optional("email")
		p.OptionalBlankOK("owner_uid")
		p.RequiredBlankOK("upload")
		p.Bool("extended", false, "Non boolean extended value")
		p.Date("dob", "is invalid", false)
		p.Time("from")
		pg := p.Page()
		p.ExactlyOne("uid", "email", "phone_num")
		p.AtLeastOne("role", "data")
		metadataParam(p)
		if pg.Page < 1 || pg.Limit < 1 || pg.Limit > 100 {
			t.Fatalf("page %+v", pg)
		}
		for _, e := range p.errs {
			if !strings.Contains(e, " ") {
				t.Fatalf("message %q", e)
			}
		}
		if err := p.Err(); (err == nil) != (len(p.errs) == 0) {
			t.Fatalf("Err %v with %v", err, p.errs)
		}
	})
}
