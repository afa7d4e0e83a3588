package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	mgmtFailed     = `{"error":"Failed to verify JWT."}`
	mgmtNotEnough  = `{"error":"Not enough signatures for the action."}`
	mgmtCantParse  = `{"error":"Couldn't parse JWT."}`
	mgmtOnlyJSON   = `{"error":"Only JSON body is accepted."}`
	mgmtOnlyPOST   = `{"error":"Only POST and PUT verbs are allowed."}`
	mgmtNoQuery    = `{"error":"Query parameters are not allowed."}`
	mgmtNotFound   = `{"error":"Record is not found"}`
	mgmtNoUserMsg  = `{"error":"user.doesnt_exist"}`
	mgmtJSONHeader = "application/json"
)

func TestManagementTimestampAndMounts(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	for _, mount := range []string{"/api/v2/management", "/api/v2/auth/management"} {
		body := mgmtBody(t, mgmtClaims(nil), m.applogic)
		req, _ := http.NewRequest("POST", m.URL+mount+"/timestamp", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", mgmtJSONHeader)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]int64
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %v", mount, resp.StatusCode, got, err)
		}
		resp.Body.Close()
		if d := time.Now().Unix() - got["timestamp"]; d < -2 || d > 2 {
			t.Fatalf("timestamp %d is not now", got["timestamp"])
		}
	}
	// The Ed25519 signer alone, on a scope where it is permitted but not
	// mandatory: the mandatory applogic is missing.
	mgmtExpect(t, m.callAs(t, "POST", "/timestamp", nil, m.peatio), 401, mgmtNotEnough)
	// The Ed25519 signer alone where it is the mandatory one.
	u := mgmtUser(t, m.testServer, "ed@example.com")
	mgmtExpect(t, m.callAs(t, "POST", "/phones/get", map[string]string{"uid": u.UID}, m.peatio), 201, "[]")
}

func TestManagementTransportChecks(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	good := func() []byte { return mgmtBody(t, mgmtClaims(nil), m.applogic) }
	for _, method := range []string{"GET", "DELETE", "PATCH", "HEAD"} {
		r := m.send(t, method, "/timestamp", mgmtJSONHeader, good())
		if method == "HEAD" {
			mgmtExpect(t, r, 405, "")
			continue
		}
		mgmtExpect(t, r, 405, mgmtOnlyPOST)
	}
	// PUT is a management verb, but timestamp has no PUT route.
	mgmtExpect(t, m.send(t, "PUT", "/timestamp", mgmtJSONHeader, good()), 405, `{"error":"405 Not Allowed"}`)
	mgmtExpect(t, m.send(t, "POST", "/timestamp?x=1", mgmtJSONHeader, good()), 400, mgmtNoQuery)
	for _, ct := range []string{"", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "Application/JSON"} {
		mgmtExpect(t, m.send(t, "POST", "/timestamp", ct, good()), 400, mgmtOnlyJSON)
	}
	for _, body := range []string{"", "not json", `{"payload":`, "{}}"} {
		mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, []byte(body)), 400, mgmtCantParse)
	}
	// Valid JSON that is no JWS: verification fails.
	for _, body := range []string{"{}", "[]", "1", `{"payload":"e30","signatures":[]}`} {
		mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, []byte(body)), 401, mgmtFailed)
	}
	// data that is not an object.
	mgmtExpect(t, m.callAs(t, "POST", "/timestamp", "text", m.applogic), 400, mgmtCantParse)
	// Unknown management paths are not routed.
	mgmtExpect(t, m.send(t, "POST", "/nope", mgmtJSONHeader, good()), 404, "")
	// The OpenAPI document is served unauthenticated and lists the family.
	r := m.send(t, "GET", "/swagger", "", nil)
	if mgmtExpect(t, r, 200, ""); !strings.Contains(string(r.Body), "/api/v2/auth/management/users/get") {
		t.Fatalf("swagger %s", r.Body)
	}
}

func TestManagementSignatureAttacks(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	stranger := newMgmtSigner(t, "stranger", "RS256", mgmtRSA2)
	impostor := newMgmtSigner(t, "applogic", "RS256", mgmtRSA2) // applogic's kid, another key
	confusion := newMgmtSigner(t, "applogic", "HS256", mgmtRSA) // HMAC keyed with applogic's public PEM
	edAsRSA := newMgmtSigner(t, "peatio", "RS256", mgmtRSA)     // peatio's kid under another algorithm
	cases := map[string][]byte{
		"no signature":      mgmtBody(t, mgmtClaims(nil)),
		"unknown kid":       mgmtBody(t, mgmtClaims(nil), stranger),
		"wrong key":         mgmtBody(t, mgmtClaims(nil), impostor),
		"alg confusion":     mgmtBody(t, mgmtClaims(nil), confusion),
		"wrong algorithm":   mgmtBody(t, mgmtClaims(nil), m.applogic, edAsRSA),
		"expired":           mgmtBody(t, withClaim(mgmtClaims(nil), "exp", time.Now().Add(-time.Minute).Unix()), m.applogic),
		"not yet valid":     mgmtBody(t, withClaim(mgmtClaims(nil), "nbf", time.Now().Add(time.Hour).Unix()), m.applogic),
		"no jti":            mgmtBody(t, withClaim(mgmtClaims(nil), "jti", nil), m.applogic),
		"blank jti":         mgmtBody(t, withClaim(mgmtClaims(nil), "jti", " "), m.applogic),
		"alg none":          noneAlg(t, mgmtClaims(nil)),
		"tampered payload":  tampered(t, mgmtBody(t, mgmtClaims(nil), m.applogic)),
		"good plus forgery": mgmtBody(t, mgmtClaims(nil), m.applogic, confusion),
	}
	for name, body := range cases {
		r := m.send(t, "POST", "/timestamp", mgmtJSONHeader, body)
		if r.Status != 401 || string(r.Body) != mgmtFailed {
			t.Errorf("%s: %d %s, want 401 %s", name, r.Status, r.Body, mgmtFailed)
		}
	}
	// An unknown kid beside a valid signature is ignored.
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, mgmtClaims(nil), stranger, m.applogic)), 200, "")
	// A permitted but not mandatory signer is not enough; a signer that is
	// not permitted for the scope does not count.
	u := mgmtUser(t, m.testServer, "sig@example.com")
	mgmtExpect(t, m.callAs(t, "POST", "/users", map[string]string{"email": "a@b.io", "password": "x"}, m.applogic), 401, mgmtNotEnough)
	mgmtExpect(t, m.callAs(t, "POST", "/users", map[string]string{"email": "a@b.io", "password": "x"}, m.peatio), 401, mgmtNotEnough)
	mgmtExpect(t, m.callAs(t, "POST", "/labels/list", map[string]string{"user_uid": u.UID}, m.peatio), 401, mgmtFailed)
	mgmtExpect(t, m.callAs(t, "POST", "/labels/list", map[string]string{"user_uid": u.UID}, m.peatio, m.applogic), 201, "")
}

func TestManagementReplay(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	body := mgmtBody(t, mgmtClaims(nil), m.applogic)
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 200, "")
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 401, mgmtFailed)
	// The same jti with new signatures and another mount is still a replay.
	c := mgmtClaims(nil)
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, c, m.applogic)), 200, "")
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, c, m.applogic, m.peatio)), 401, mgmtFailed)
	// A verified request that then fails validation is used up too.
	body = mgmtBody(t, mgmtClaims(map[string]string{}), m.applogic)
	mgmtExpect(t, m.send(t, "POST", "/labels/list", mgmtJSONHeader, body), 422, `{"error":"user_uid is missing, user_uid is empty"}`)
	mgmtExpect(t, m.send(t, "POST", "/labels/list", mgmtJSONHeader, body), 401, mgmtFailed)
	// A token without exp is remembered for ever.
	body = mgmtBody(t, withClaim(mgmtClaims(nil), "exp", nil), m.applogic)
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 200, "")
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 401, mgmtFailed)
}

func TestManagementScopesAndClaimOptions(t *testing.T) {
	t.Parallel()
	// Only tools is configured: every other endpoint refuses.
	m := newMgmtServer(t, "{verify_iss: true, iss: applogic, verify_aud: true, aud: barong, leeway: 30}",
		"scopes:\n  tools: {permitted_signers: [applogic], mandatory_signers: [applogic]}\n", nil)
	mgmtExpect(t, m.callAs(t, "POST", "/users/list", nil, m.applogic), 401, mgmtFailed)
	ok := withClaim(mgmtClaims(nil), "aud", []string{"peatio", "barong"})
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, ok, m.applogic)), 200, "")
	for name, c := range map[string]map[string]any{
		"no aud":    mgmtClaims(nil),
		"wrong aud": withClaim(mgmtClaims(nil), "aud", "peatio"),
		"wrong iss": withClaim(withClaim(mgmtClaims(nil), "aud", "barong"), "iss", "peatio"),
	} {
		if r := m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, c, m.applogic)); r.Status != 401 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// The leeway lets a token that expired 10 s ago pass.
	late := withClaim(withClaim(mgmtClaims(nil), "aud", "barong"), "exp", time.Now().Add(-10*time.Second).Unix())
	mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, mgmtBody(t, late, m.applogic)), 200, "")

	// The built-in management_api.yml has no scopes at all.
	ts := newServer(t, nil)
	mgmtKeys(t)
	body := mgmtBody(t, mgmtClaims(nil), newMgmtSigner(t, "applogic", "RS256", mgmtRSA))
	req, _ := http.NewRequest("POST", ts.URL+"/api/v2/management/timestamp", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", mgmtJSONHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("default config: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func withClaim(c map[string]any, k string, v any) map[string]any {
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

// noneAlg is an unsigned token claiming alg none under applogic's kid.
func noneAlg(t *testing.T, c map[string]any) []byte {
	raw, _ := json.Marshal(c)
	b, _ := json.Marshal(map[string]any{"payload": b64url(raw), "signatures": []any{map[string]any{
		"protected": b64url([]byte(`{"alg":"none"}`)), "header": map[string]string{"kid": "applogic"}, "signature": ""}}})
	return b
}

// tampered replaces the payload of a signed body with other claims.
func tampered(t *testing.T, body []byte) []byte {
	var j map[string]any
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(mgmtClaims(map[string]string{"uid": "IDADMIN"}))
	j["payload"] = b64url(raw)
	b, _ := json.Marshal(j)
	return b
}
