package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

const saBase = res + "/service_accounts"

// saCreate stores a service account of the owner, as the management API
// will.
func saCreate(t *testing.T, ts *testServer, ownerID int64, state, role string) *barong.ServiceAccount {
	t.Helper()
	uid := barong.GenerateUID("SI")
	sa := &barong.ServiceAccount{UID: uid, OwnerID: ownerID, Email: strings.ToLower(uid) + "@service.example.com",
		Role: role, State: state}
	if err := ts.DB.CreateServiceAccount(context.Background(), sa); err != nil {
		t.Fatal(err)
	}
	return sa
}

// saKeyCreate creates an HS256 key for the service account uid.
func saKeyCreate(t *testing.T, c *client, a *otpAuthenticator, uid string) apiKeyCreds {
	t.Helper()
	r := c.do(t, "POST", saBase+"/api_keys", map[string]string{"service_account_uid": uid, "algorithm": "HS256",
		"scope": "trade", "totp_code": a.code(t)})
	expect(t, r, 201)
	m := r.json(t)
	return apiKeyCreds{kid: m["kid"].(string), secret: m["secret"].(string)}
}

func TestServiceAccountsList(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	other, _ := ts.signUp(t, "second@example.com")
	u, o := otpUser(t, ts, "first@example.com"), otpUser(t, ts, "second@example.com")

	apiKeysList(t, c.do(t, "GET", saBase, nil), 0, 1, 100)
	mine := []*barong.ServiceAccount{saCreate(t, ts, u.ID, "active", "sa_maker"), saCreate(t, ts, u.ID, "pending", "sa_maker")}
	saCreate(t, ts, o.ID, "active", "sa_maker")

	list := apiKeysList(t, c.do(t, "GET", "/api/v2/resource/service_accounts", nil), 2, 1, 100)
	for i, m := range list {
		if m["uid"] != mine[i].UID || m["owner_id"] != float64(u.ID) || m["email"] != mine[i].Email ||
			m["role"] != "sa_maker" || m["state"] != mine[i].State || m["level"] != 0.0 {
			t.Fatalf("row %d: %v", i, m)
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", m["created_at"].(string)); err != nil {
			t.Fatalf("created_at %v", m["created_at"])
		}
	}
	apiKeysList(t, c.do(t, "GET", saBase+"?limit=1&page=2", nil), 2, 2, 1)
	expect(t, c.do(t, "GET", saBase+"?limit=0", nil), 422, "invalid_limit")
	apiKeysList(t, other.do(t, "GET", saBase, nil), 1, 1, 100)
}

func TestServiceAccountAPIKeys(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	other, _ := ts.signUp(t, "second@example.com")
	u, o := otpUser(t, ts, "first@example.com"), otpUser(t, ts, "second@example.com")
	sa := saCreate(t, ts, u.ID, "active", "sa_maker")
	pending := saCreate(t, ts, u.ID, "pending", "sa_maker")
	foreign := saCreate(t, ts, o.ID, "active", "sa_maker")
	keys := saBase + "/api_keys"
	body := func(uid, code string) map[string]string {
		return map[string]string{"service_account_uid": uid, "algorithm": "HS256", "totp_code": code}
	}

	// Parameters, then ownership (before 2FA), then the guard.
	expect(t, c.do(t, "GET", keys, nil), 400, "resource.serviceaccount.missing_service_account_uid")
	expect(t, c.do(t, "GET", keys+"?service_account_uid[]=x", nil), 422, "resource.service_account.non_string_service_account_uid")
	expect(t, c.do(t, "GET", keys+"?service_account_uid=", nil), 404, "resource.service_account.doesnt_exist")
	expect(t, c.do(t, "GET", keys+"?service_account_uid="+foreign.UID, nil), 404, "resource.service_account.doesnt_exist")
	expect(t, c.do(t, "GET", keys+"?service_account_uid="+sa.UID+"&ordering=sideways", nil), 422, "resource.service_accounts.invalid_ordering")
	expect(t, c.do(t, "GET", keys+"?service_account_uid="+sa.UID+"&order_by=owner", nil), 422, "resource.service_accounts.invalid_attribute")
	apiKeysList(t, c.do(t, "GET", keys+"?service_account_uid="+sa.UID, nil), 0, 1, 100)
	expect(t, c.do(t, "POST", keys, map[string]string{"algorithm": "HS256"}), 400,
		"resource.serviceaccount.missing_service_account_uid", "resource.service_accounts.missing_totp", "resource.serviceaccount.empty_totp_code")
	expect(t, c.do(t, "POST", keys, body(foreign.UID, "123456")), 404, "resource.service_account.doesnt_exist")
	expect(t, c.do(t, "POST", keys, body(sa.UID, "123456")), 400, "resource.service_accounts.2fa_disabled")
	expect(t, c.do(t, "PUT", keys+"/ffffffffffffffff", map[string]string{"service_account_uid": sa.UID, "totp_code": "123456"}), 400, "resource.service_accounts.2fa_disabled")
	expect(t, c.do(t, "DELETE", keys+"/ffffffffffffffff?totp_code=123456&service_account_uid="+sa.UID, nil), 400, "resource.service_accounts.2fa_disabled")

	a := otpEnable(t, ts, c, "first@example.com")
	expect(t, c.do(t, "POST", keys, body(sa.UID, a.wrong(t))), 422, "resource.service_accounts.invalid_totp")
	expect(t, c.do(t, "POST", keys, body(pending.UID, a.code(t))), 422, "key_holder_account.invalid")
	expect(t, c.do(t, "POST", keys, map[string]string{"service_account_uid": sa.UID, "algorithm": "HS384", "totp_code": a.code(t)}), 422, "algorithm.inclusion")

	// Create: 201 with the secret, held by the service account.
	r := c.do(t, "POST", "/api/v2/resource/service_accounts/api_keys", url.Values{"service_account_uid": {sa.UID},
		"algorithm": {"HS256"}, "scope": {"trade,read"}, "totp_code": {a.code(t)}})
	expect(t, r, 201)
	if got := strings.Join(jsonKeys(r.Body), ","); got != "kid,algorithm,scope,state,secret,created_at,updated_at" {
		t.Fatalf("members %s", got)
	}
	m := r.json(t)
	k := apiKeyCreds{kid: m["kid"].(string), secret: m["secret"].(string)}
	stored, err := ts.DB.APIKeyByKID(context.Background(), k.kid)
	if err != nil || stored.HolderType != "ServiceAccount" || stored.HolderID != sa.ID || stored.Secret != k.secret {
		t.Fatalf("stored %+v %v", stored, err)
	}
	l := apiKeysList(t, c.do(t, "GET", keys+"?service_account_uid="+sa.UID, nil), 1, 1, 100)
	if l[0]["kid"] != k.kid || l[0]["secret"] != nil {
		t.Fatalf("list %v", l)
	}
	// The user's own list does not show it.
	apiKeysList(t, c.do(t, "GET", res+"/api_keys", nil), 0, 1, 100)

	// The key authenticates the service account at the gateway; the
	// resource API has no user for it.
	gr := apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", k, apiKeysNonce())
	expect(t, gr, 200)
	claims, err := ts.Keys.VerifyAccess(strings.TrimPrefix(gr.Header.Get("Authorization"), "Bearer "), time.Now())
	if err != nil || claims.UID != sa.UID || claims.Role != "sa_maker" {
		t.Fatalf("claims %+v %v", claims, err)
	}
	expect(t, apiKeysCall(t, ts, "GET", res+"/users/me", k, apiKeysNonce()), 401, "authz.invalid_session")

	// Update: kept scope, another account's key, missing code.
	expect(t, c.do(t, "PUT", keys+"/"+k.kid, map[string]string{"service_account_uid": sa.UID, "state": "disabled"}), 400,
		"resource.serviceaccount.missing_totp_code", "resource.serviceaccount.empty_totp_code")
	expect(t, c.do(t, "PUT", keys+"/"+k.kid, map[string]string{"service_account_uid": pending.UID, "state": "x", "totp_code": a.code(t)}), 404, "record.not_found")
	expect(t, c.do(t, "PUT", keys+"/"+k.kid, map[string]string{"service_account_uid": foreign.UID, "state": "x", "totp_code": a.code(t)}), 404, "resource.service_account.doesnt_exist")
	r = c.do(t, "PUT", keys+"/"+k.kid, map[string]string{"service_account_uid": sa.UID, "state": "disabled", "totp_code": a.code(t)})
	expect(t, r, 200)
	if m = r.json(t); m["state"] != "disabled" || strings.Join(apiKeysStrings(m["scope"]), ",") != "trade,read" || m["secret"] != nil {
		t.Fatalf("updated %v", m)
	}
	expect(t, apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", k, apiKeysNonce()), 401, "authz.apikey_not_active")
	expect(t, c.do(t, "PUT", keys+"/"+k.kid, map[string]string{"service_account_uid": sa.UID, "state": "active", "totp_code": a.code(t)}), 200)

	// The owner's own key is not a key of the service account.
	own := apiKeysCreate(t, c, a, nil)
	expect(t, c.do(t, "DELETE", keys+"/"+own.kid+"?service_account_uid="+sa.UID+"&totp_code="+a.code(t), nil), 404, "record.not_found")
	if apiKeysState(t, ts, own.kid) != "active" {
		t.Fatal("own key changed")
	}

	// Another user cannot reach the account at all.
	oa := otpEnable(t, ts, other, "second@example.com")
	expect(t, other.do(t, "DELETE", keys+"/"+k.kid+"?service_account_uid="+sa.UID+"&totp_code="+oa.code(t), nil), 404, "resource.service_account.doesnt_exist")
	expect(t, other.do(t, "GET", keys+"?service_account_uid="+sa.UID, nil), 404, "resource.service_account.doesnt_exist")

	// Delete: 204.
	expect(t, c.do(t, "DELETE", keys+"/"+k.kid+"?service_account_uid="+sa.UID, nil), 400,
		"resource.serviceaccount.missing_totp_code", "resource.serviceaccount.empty_totp_code")
	expect(t, c.do(t, "DELETE", keys+"/"+k.kid+"?totp_code=1", nil), 400, "resource.serviceaccount.missing_service_account_uid")
	expect(t, c.do(t, "DELETE", keys+"/"+k.kid+"?service_account_uid="+sa.UID+"&totp_code="+a.wrong(t), nil), 422, "resource.service_accounts.invalid_totp")
	expect(t, c.do(t, "DELETE", "/api/v2/resource/service_accounts/api_keys/"+k.kid+"?service_account_uid="+sa.UID+"&totp_code="+a.code(t), nil), 204)
	if _, err := ts.DB.APIKeyByKID(context.Background(), k.kid); err == nil {
		t.Fatal("key not deleted")
	}
	apiKeysList(t, c.do(t, "GET", keys+"?service_account_uid="+sa.UID, nil), 0, 1, 100)
}
