package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/internal/testenv"
)

// apiKeyCreds is a created key as the client keeps it.
type apiKeyCreds struct{ kid, secret string }

var (
	apiKeysKidRe    = regexp.MustCompile(`^[0-9a-f]{16}$`)
	apiKeysSecretRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// apiKeysCreate creates an HS256 key for the user of c with extra
// parameters.
func apiKeysCreate(t *testing.T, c *client, a *otpAuthenticator, extra map[string]any) apiKeyCreds {
	t.Helper()
	body := map[string]any{"algorithm": "HS256", "totp_code": a.code(t)}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do(t, "POST", res+"/api_keys", body)
	expect(t, r, 201)
	m := r.json(t)
	return apiKeyCreds{kid: m["kid"].(string), secret: m["secret"].(string)}
}

// apiKeysState is the stored state of a key.
func apiKeysState(t *testing.T, ts *testServer, kid string) string {
	t.Helper()
	k, err := ts.DB.APIKeyByKID(context.Background(), kid)
	if err != nil {
		t.Fatalf("key %s: %v", kid, err)
	}
	return k.State
}

var apiKeysLastNonce atomic.Int64

// apiKeysNonce is the current time in milliseconds, as clients send it,
// made unique (a repeated nonce is a replay).
func apiKeysNonce() string {
	for {
		last, now := apiKeysLastNonce.Load(), time.Now().UnixMilli()
		if now <= last {
			now = last + 1
		}
		if apiKeysLastNonce.CompareAndSwap(last, now) {
			return strconv.FormatInt(now, 10)
		}
	}
}

// apiKeysCall sends a request signed with k: X-Auth-Apikey, X-Auth-Nonce
// and X-Auth-Signature = hex HMAC-SHA256(secret, nonce+kid).
func apiKeysCall(t *testing.T, ts *testServer, method, path string, k apiKeyCreds, nonce string) *response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "trading-bot/1.0")
	req.Header.Set("X-Auth-Apikey", k.kid)
	req.Header.Set("X-Auth-Nonce", nonce)
	req.Header.Set("X-Auth-Signature", authz.Sign(k.secret, nonce, k.kid))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// apiKeysList decodes a list answer, checking its pagination headers.
func apiKeysList(t *testing.T, r *response, total, page, perPage int) []map[string]any {
	t.Helper()
	expect(t, r, 200)
	if r.Header.Get("Total") != strconv.Itoa(total) || r.Header.Get("Page") != strconv.Itoa(page) ||
		r.Header.Get("Per-Page") != strconv.Itoa(perPage) {
		t.Fatalf("headers Total=%q Page=%q Per-Page=%q, want %d %d %d", r.Header.Get("Total"),
			r.Header.Get("Page"), r.Header.Get("Per-Page"), total, page, perPage)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("list %s: %v", r.Body, err)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, e := range raw {
		// API keys, or the rows of service accounts.
		if got := strings.Join(jsonKeys(e), ","); got != "kid,algorithm,scope,state,created_at,updated_at" &&
			got != "id,uid,owner_id,email,role,level,state,created_at,updated_at" {
			t.Fatalf("entity members %s", got)
		}
		var m map[string]any
		_ = json.Unmarshal(e, &m)
		out = append(out, m)
	}
	return out
}

func TestAPIKeysLifecycle(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	ctx := context.Background()

	// Without 2FA: listing works, changes are refused after parameter checks.
	apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 0, 1, 100)
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": "123456"}), 400, "resource.api_key.2fa_disabled")
	expect(t, c.do(t, "PATCH", res+"/api_keys/0123456789abcdef", map[string]string{"totp_code": "123456"}), 400, "resource.api_key.2fa_disabled")
	expect(t, c.do(t, "DELETE", res+"/api_keys/0123456789abcdef?totp_code=123456", nil), 400, "resource.api_key.2fa_disabled")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256"}), 400, "resource.api_key.missing_totp", "resource.apikey.empty_totp_code")

	a := otpEnable(t, ts, c, "first@example.com")
	// Parameter errors (400) come first.
	expect(t, c.do(t, "POST", res+"/api_keys", nil), 400, "resource.apikey.missing_algorithm", "resource.apikey.empty_algorithm",
		"resource.api_key.missing_totp", "resource.apikey.empty_totp_code")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": " ", "scope": "", "totp_code": ""}), 400,
		"resource.apikey.empty_algorithm", "resource.apikey.empty_scope", "resource.apikey.empty_totp_code")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]any{"algorithm": map[string]int{"a": 1}, "totp_code": "1"}), 422, "resource.apikey.non_string_algorithm")
	// Then the guard and the model.
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": a.wrong(t)}), 422, "resource.api_key.invalid_totp")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS512", "totp_code": a.code(t)}), 422, "algorithm.inclusion")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "RS256", "totp_code": a.code(t)}), 422, "kid.blank", "algorithm.inclusion")
	apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 0, 1, 100)

	// Create: 201, the secret shown once.
	code := a.code(t)
	r := c.do(t, "POST", "/api/v2/resource/api_keys", url.Values{"algorithm": {"HS256"}, "scope": {"trade, withdraw"}, "totp_code": {code}})
	expect(t, r, 201)
	if got := strings.Join(jsonKeys(r.Body), ","); got != "kid,algorithm,scope,state,secret,created_at,updated_at" {
		t.Fatalf("members %s", got)
	}
	m := r.json(t)
	kid, secret := m["kid"].(string), m["secret"].(string)
	if !apiKeysKidRe.MatchString(kid) || !apiKeysSecretRe.MatchString(secret) || m["algorithm"] != "HS256" ||
		m["state"] != "active" || strings.Join(apiKeysStrings(m["scope"]), ",") != "trade,withdraw" {
		t.Fatalf("created %v", m)
	}
	stored, err := ts.DB.APIKeyByKID(ctx, kid)
	if err != nil || stored.Secret != secret || stored.HolderType != "User" || stored.HolderID != a.userID {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if enc := apiKeysRawSecret(t, ts, kid); enc == "" || strings.Contains(enc, secret) {
		t.Fatalf("secret stored in clear: %q", enc)
	}
	// The same code does not work twice.
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": code}), 422, "resource.api_key.invalid_totp")

	list := apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 1, 1, 100)
	if list[0]["kid"] != kid || list[0]["secret"] != nil {
		t.Fatalf("list %v", list)
	}

	// Update: missing or blank parameters, then state without scope keeps
	// the scope (Barong would clear it).
	expect(t, c.do(t, "PATCH", res+"/api_keys/"+kid, map[string]string{"state": "disabled"}), 400,
		"resource.apikey.missing_totp_code", "resource.apikey.empty_totp_code")
	expect(t, c.do(t, "PATCH", res+"/api_keys/"+kid, map[string]string{"state": "", "scope": " ", "totp_code": "1"}), 400,
		"resource.apikey.empty_scope", "resource.apikey.empty_state")
	expect(t, c.do(t, "PATCH", res+"/api_keys/"+kid, map[string]string{"state": "x", "totp_code": a.wrong(t)}), 422, "resource.api_key.invalid_totp")
	expect(t, c.do(t, "PATCH", res+"/api_keys/"+kid, map[string]string{"state": strings.Repeat("x", 256), "totp_code": a.code(t)}), 422, "state.too_long")
	r = c.do(t, "PATCH", res+"/api_keys/"+kid, map[string]string{"state": "disabled", "totp_code": a.code(t)})
	expect(t, r, 200)
	if got := strings.Join(jsonKeys(r.Body), ","); got != "kid,algorithm,scope,state,created_at,updated_at" {
		t.Fatalf("members %s", got)
	}
	m = r.json(t)
	if m["state"] != "disabled" || strings.Join(apiKeysStrings(m["scope"]), ",") != "trade,withdraw" {
		t.Fatalf("updated %v", m)
	}
	r = c.do(t, "PATCH", "/api/v2/resource/api_keys/"+kid, url.Values{"scope": {"read"}, "state": {"active"}, "totp_code": {a.code(t)}})
	expect(t, r, 200)
	if m = r.json(t); m["state"] != "active" || strings.Join(apiKeysStrings(m["scope"]), ",") != "read" {
		t.Fatalf("updated %v", m)
	}
	expect(t, c.do(t, "PATCH", res+"/api_keys/ffffffffffffffff", map[string]string{"state": "x", "totp_code": a.code(t)}), 404, "record.not_found")

	// Delete: parameters in the query, 204.
	expect(t, c.do(t, "DELETE", res+"/api_keys/"+kid, nil), 400, "resource.apikey.missing_totp_code", "resource.apikey.empty_totp_code")
	expect(t, c.do(t, "DELETE", res+"/api_keys/"+kid+"?totp_code="+a.wrong(t), nil), 422, "resource.api_key.invalid_totp")
	expect(t, c.do(t, "DELETE", res+"/api_keys/ffffffffffffffff?totp_code="+a.code(t), nil), 404, "record.not_found")
	r = c.do(t, "DELETE", "/api/v2/resource/api_keys/"+kid+"?totp_code="+a.code(t), nil)
	expect(t, r, 204)
	if len(r.Body) != 0 {
		t.Fatalf("204 body %q", r.Body)
	}
	if _, err := ts.DB.APIKeyByKID(ctx, kid); err == nil {
		t.Fatal("key not deleted")
	}
	apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 0, 1, 100)
}

func apiKeysStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// apiKeysRawSecret reads the stored secret column of a key.
func apiKeysRawSecret(t *testing.T, ts *testServer, kid string) string {
	t.Helper()
	db, ok := rawSQLite(t, ts)
	if !ok {
		return "not sqlite"
	}
	var s string
	if err := db.QueryRow("SELECT secret_encrypted FROM apikeys WHERE kid = ?", kid).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAPIKeysListOrder(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	a := otpEnable(t, ts, c, "first@example.com")
	var kids []string
	for i := 0; i < 3; i++ {
		kids = append(kids, apiKeysCreate(t, c, a, nil).kid)
	}
	got := func(l []map[string]any) string {
		var s []string
		for _, m := range l {
			s = append(s, m["kid"].(string))
		}
		return strings.Join(s, ",")
	}
	if l := apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 3, 1, 100); got(l) != strings.Join(kids, ",") {
		t.Fatalf("default order %s", got(l))
	}
	desc := []string{kids[2], kids[1], kids[0]}
	if l := apiKeysList(t, c.do(t, "GET", res+"/api_keys?ordering=desc", nil), 3, 1, 100); got(l) != strings.Join(desc, ",") {
		t.Fatalf("desc order %s", got(l))
	}
	l := apiKeysList(t, c.do(t, "GET", "/api/v2/resource/api_keys?order_by=kid&ordering=asc", nil), 3, 1, 100)
	if s := strings.Split(got(l), ","); !(s[0] < s[1] && s[1] < s[2]) {
		t.Fatalf("kid order %v", s)
	}
	if l := apiKeysList(t, c.do(t, "GET", res+"/api_keys?limit=2&page=2", nil), 3, 2, 2); got(l) != kids[2] {
		t.Fatalf("page 2 %s", got(l))
	}
	expect(t, c.do(t, "GET", res+"/api_keys?ordering=up", nil), 422, "resource.api_key.invalid_ordering")
	expect(t, c.do(t, "GET", res+"/api_keys?ordering=", nil), 422, "resource.api_key.invalid_ordering")
	expect(t, c.do(t, "GET", res+"/api_keys?order_by=secret_encrypted", nil), 422, "resource.api_key.invalid_attribute")
	expect(t, c.do(t, "GET", res+"/api_keys?order_by=id%3BDROP%20TABLE%20apikeys", nil), 422, "resource.api_key.invalid_attribute")
	expect(t, c.do(t, "GET", res+"/api_keys?page=0&limit=101", nil), 422, "non_positive_page", "invalid_limit")
	expect(t, c.do(t, "GET", res+"/api_keys?page=x", nil), 422, "non_integer_page")
	apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 3, 1, 100)
}

func TestAPIKeysOwnershipAndHolderState(t *testing.T) {
	ts := newServer(t, nil)
	owner, _ := ts.signUp(t, "first@example.com")
	oa := otpEnable(t, ts, owner, "first@example.com")
	key := apiKeysCreate(t, owner, oa, map[string]any{"scope": "trade"})

	// A pending member with 2FA cannot hold keys.
	other, _ := ts.signUp(t, "second@example.com")
	xa := otpEnable(t, ts, other, "second@example.com")
	expect(t, other.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": xa.code(t)}), 422, "key_holder_account.invalid")
	apiKeysList(t, other.do(t, "GET", res+"/api_keys", nil), 0, 1, 100)

	// Another user's kid is not found and stays as it was.
	expect(t, other.do(t, "PATCH", res+"/api_keys/"+key.kid, map[string]string{"state": "x", "scope": "all", "totp_code": xa.code(t)}), 404, "record.not_found")
	expect(t, other.do(t, "DELETE", res+"/api_keys/"+key.kid+"?totp_code="+xa.code(t), nil), 404, "record.not_found")
	k, err := ts.DB.APIKeyByKID(context.Background(), key.kid)
	if err != nil || k.State != "active" || strings.Join(k.Scope, ",") != "trade" {
		t.Fatalf("key changed by another user: %+v %v", k, err)
	}

	// Activating a key while its holder is not active is refused.
	ts.activate(t, "second@example.com")
	okey := apiKeysCreate(t, other, xa, nil)
	expect(t, other.do(t, "PATCH", res+"/api_keys/"+okey.kid, map[string]string{"state": "inactive", "totp_code": xa.code(t)}), 200)
	u := otpUser(t, ts, "second@example.com")
	u.State = "pending"
	if err := ts.DB.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	expect(t, other.do(t, "PATCH", res+"/api_keys/"+okey.kid, map[string]string{"state": "active", "totp_code": xa.code(t)}), 422, "state.invalid")
	if st := apiKeysState(t, ts, okey.kid); st != "inactive" {
		t.Fatalf("state %s", st)
	}
}

func TestAPIKeysAuthenticate(t *testing.T) {
	ts := newServer(t, nil)
	c, me := ts.signUp(t, "first@example.com")
	a := otpEnable(t, ts, c, "first@example.com")
	k := apiKeysCreate(t, c, a, nil)

	// A resource call signed with the key.
	nonce := apiKeysNonce()
	r := apiKeysCall(t, ts, "GET", res+"/users/me", k, nonce)
	expect(t, r, 200)
	if r.json(t)["email"] != "first@example.com" {
		t.Fatalf("me %s", r.Body)
	}
	// The same (kid, nonce) again is a replay.
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, nonce), 401, "authz.nonce_expired")
	expect(t, apiKeysCall(t, ts, "GET", "/api/v2/resource/users/me", apiKeyCreds{k.kid, flipFirst(k.secret)}, apiKeysNonce()), 401, "authz.invalid_signature")
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)), 401, "authz.nonce_expired")
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", apiKeyCreds{"ffffffffffffffff", k.secret}, apiKeysNonce()), 401, "authz.unexistent_apikey")
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, " "), 422, "authz.invalid_api_key_headers")

	// The gateway check: 200 with a bearer for the key's user.
	r = apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", k, apiKeysNonce())
	expect(t, r, 200)
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("no bearer: %v", r.Header)
	}
	claims, err := ts.Keys.VerifyAccess(bearer, time.Now())
	if err != nil || claims.UID != me["uid"] {
		t.Fatalf("bearer claims %+v %v", claims, err)
	}

	// Turning 2FA off deactivates the key.
	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": a.code(t)}), 200)
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, apiKeysNonce()), 401, "authz.apikey_not_active")
	expect(t, apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", k, apiKeysNonce()), 401, "authz.apikey_not_active")
}

// apiKeysPostgres creates a randomly named PostgreSQL database for one test
// and drops it afterwards; it skips (fails under CI=true) without a server.
func apiKeysPostgres(t *testing.T) string {
	t.Helper()
	pu, err := url.Parse(testenv.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, "PostgreSQL", pu.Host)
	admin, err := sql.Open("pgx", testenv.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "barong_apikeys_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	pu.Path = "/" + name
	return pu.String()
}

func TestAPIKeysPostgres(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_DATABASE_URL": apiKeysPostgres(t)})
	c, _ := ts.signUp(t, "first@example.com")
	u := otpUser(t, ts, "first@example.com")
	sa := saCreate(t, ts, u.ID, "active", "sa_maker")
	a := otpEnable(t, ts, c, "first@example.com")
	k := apiKeysCreate(t, c, a, map[string]any{"scope": "trade"})
	sk := saKeyCreate(t, c, a, sa.UID)
	apiKeysList(t, c.do(t, "GET", res+"/api_keys?order_by=created_at&ordering=desc", nil), 1, 1, 100)
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, apiKeysNonce()), 200)
	expect(t, c.do(t, "PATCH", res+"/api_keys/"+k.kid, map[string]string{"state": "active", "totp_code": a.code(t)}), 200)
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.wrong(t)}), 422, "resource.otp.invalid")
	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": a.code(t)}), 200)
	for _, kid := range []string{k.kid, sk.kid} {
		if st := apiKeysState(t, ts, kid); st != "inactive" {
			t.Fatalf("key %s %s", kid, st)
		}
	}
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, apiKeysNonce()), 401, "authz.apikey_not_active")
	if acts := otpActivities(t, ts, u.ID); len(acts) != 4 {
		t.Fatalf("activities %+v", acts)
	}
}

// flipFirst changes the first character of a hex secret (a wrong secret
// whatever the secret was).
func flipFirst(secret string) string {
	if secret[0] == '0' {
		return "1" + secret[1:]
	}
	return "0" + secret[1:]
}
