package server_test

import (
	"context"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

func TestManagementServiceAccounts(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	owner := mgmtUser(t, m.testServer, "owner@example.com", func(u *barong.User) { u.State, u.Level = "active", 2 })
	r := m.call(t, "/service_accounts/create", map[string]any{"owner_uid": owner.UID, "service_account_role": "sa_maker",
		"service_account_state": "locked", "service_account_level": 1})
	mgmtExpect(t, r, 201, "")
	if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != "email,uid,role,level,state,user,created_at,updated_at" {
		t.Fatalf("ServiceAccounts fields %s", got)
	}
	sa := r.json(t)
	uid := sa["uid"].(string)
	if !strings.HasPrefix(uid, "SI") || len(uid) != 12 || sa["email"] != "owner+"+uid+"@example.com" || sa["state"] != "active" ||
		sa["level"] != float64(2) || sa["user"].(map[string]any)["uid"] != owner.UID {
		t.Fatalf("created %s", r.Body)
	}
	// Without an owner the given values stay.
	r = m.call(t, "/service_accounts/create", map[string]any{"service_account_role": "sa_maker", "service_account_uid": "SI0000000001",
		"service_account_email": "bot@example.com", "service_account_state": "active", "owner_uid": ""})
	mgmtExpect(t, r, 201, "")
	if b := r.json(t); b["uid"] != "SI0000000001" || b["state"] != "active" || b["user"] != nil {
		t.Fatalf("ownerless %s", r.Body)
	}
	mgmtExpect(t, m.call(t, "/service_accounts/create", map[string]any{"service_account_role": "emperor",
		"service_account_email": "owner@example.com", "service_account_uid": "SI0000000001"}), 422,
		`{"error":["Role doesnt_exist","Email or uid not_uniq","Uid has already been taken"]}`)
	mgmtExpect(t, m.call(t, "/service_accounts/create", map[string]any{"service_account_role": "sa_maker", "service_account_email": "bot@example.com"}), 422,
		`{"error":["Email has already been taken"]}`)
	mgmtExpect(t, m.call(t, "/service_accounts/create", map[string]any{"service_account_role": "sa_maker", "service_account_email": "not-an-email"}), 422,
		`{"error":["Email is invalid"]}`)
	mgmtExpect(t, m.call(t, "/service_accounts/create", map[string]any{"service_account_role": "sa_maker", "owner_uid": "IDNOPE000000"}), 422,
		`{"error":["Email can't be blank"]}`)
	mgmtExpect(t, m.call(t, "/service_accounts/create", map[string]any{"service_account_level": "high"}), 422,
		`{"error":"service_account_role is missing, service_account_role is empty, service_account_level is invalid"}`)

	// get and list.
	for _, d := range []map[string]string{{"uid": uid}, {"email": "owner+" + uid + "@example.com"}} {
		r = m.call(t, "/service_accounts/get", d)
		if mgmtExpect(t, r, 200, ""); r.json(t)["uid"] != uid {
			t.Fatalf("get %v: %s", d, r.Body)
		}
	}
	mgmtExpect(t, m.call(t, "/service_accounts/get", map[string]string{"uid": "SI9999999999"}), 404, mgmtNotFound)
	mgmtExpect(t, m.call(t, "/service_accounts/get", map[string]string{"uid": uid, "email": "x@example.com"}), 422,
		`{"error":"uid, email are mutually exclusive"}`)
	for _, c := range []struct {
		data  map[string]any
		total string
		n     int
	}{
		{map[string]any{"owner_uid": owner.UID}, "1", 1},
		{map[string]any{"owner_email": "OWNER@example.com"}, "1", 1},
		{map[string]any{"owner_uid": "IDNOPE000000"}, "2", 2}, // unknown owner: all, as Barong
		{map[string]any{"limit": 1, "page": 2}, "2", 1},
	} {
		r = m.call(t, "/service_accounts/list", c.data)
		mgmtExpect(t, r, 200, "")
		if list := jsonList(t, r); len(list) != c.n || r.Header.Get("Total") != c.total {
			t.Fatalf("list %v: %v %s", c.data, r.Header, r.Body)
		}
	}
	mgmtExpect(t, m.call(t, "/service_accounts/list", map[string]any{"owner_uid": ""}), 422, `{"error":"owner_uid is empty"}`)

	// update: a new owner brings his state and level; unknown ones change nothing.
	banned := mgmtUser(t, m.testServer, "banned@example.com", func(u *barong.User) { u.State = "banned" })
	r = m.call(t, "/service_accounts/update", map[string]string{"uid": "SI0000000001", "owner_uid": banned.UID})
	if mgmtExpect(t, r, 201, ""); r.json(t)["state"] != "banned" || r.json(t)["user"].(map[string]any)["uid"] != banned.UID {
		t.Fatalf("update %s", r.Body)
	}
	mgmtExpect(t, m.call(t, "/service_accounts/update", map[string]string{"uid": uid, "owner_uid": "IDNOPE000000"}), 201, "")
	mgmtExpect(t, m.call(t, "/service_accounts/update", map[string]string{"uid": "SI9999999999"}), 422, `{"error":"Service account doesnt exist"}`)

	// delete: disabled, keys deactivated.
	r = m.call(t, "/api_keys", map[string]string{"uid": uid, "algorithm": "HS256", "scopes": "trade"})
	mgmtExpect(t, r, 201, "")
	kid := r.json(t)["kid"].(string)
	r = m.call(t, "/service_accounts/delete", map[string]string{"uid": uid})
	if mgmtExpect(t, r, 200, ""); r.json(t)["state"] != "disabled" {
		t.Fatalf("delete %s", r.Body)
	}
	if k, err := m.DB.APIKeyByKID(ctx, kid); err != nil || k.State != "inactive" {
		t.Fatalf("key after delete %+v %v", k, err)
	}
	mgmtExpect(t, m.call(t, "/service_accounts/delete", map[string]string{"uid": "SI9999999999"}), 404, mgmtNotFound)
}

func TestManagementAPIKeys(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	ctx := context.Background()
	user := mgmtUser(t, m.testServer, "keys@example.com", func(u *barong.User) { u.State = "active" })
	pending := mgmtUser(t, m.testServer, "pend@example.com")
	sa := &barong.ServiceAccount{UID: "SI00000000AA", OwnerID: user.ID, Email: "keys+SI00000000AA@example.com", Role: "sa_maker", State: "active"}
	if err := m.DB.CreateServiceAccount(ctx, sa); err != nil {
		t.Fatal(err)
	}
	r := m.call(t, "/api_keys", map[string]string{"uid": user.UID, "algorithm": "HS256", "scopes": "trade,withdraw"})
	mgmtExpect(t, r, 201, "")
	if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != "kid,algorithm,scope,state,secret,created_at,updated_at" {
		t.Fatalf("APIKey fields %s", got)
	}
	k := r.json(t)
	kid := k["kid"].(string)
	if len(kid) != 16 || len(k["secret"].(string)) != 32 || k["state"] != "active" || len(k["scope"].([]any)) != 2 {
		t.Fatalf("key %s", r.Body)
	}
	r = m.call(t, "/api_keys", map[string]string{"uid": sa.UID, "algorithm": "HS256"})
	if mgmtExpect(t, r, 201, ""); len(r.json(t)["scope"].([]any)) != 0 {
		t.Fatalf("sa key %s", r.Body)
	}
	saKID := r.json(t)["kid"].(string)

	for _, c := range []struct {
		data map[string]string
		want string
	}{
		{map[string]string{"uid": "IDNOPE000000", "algorithm": "HS256"}, `{"error":"user_doesnt_exist"}`},
		{map[string]string{"uid": "SINOPE000000", "algorithm": "HS256"}, `{"error":"service_account_doesnt_exist"}`},
		{map[string]string{"uid": "XX0000000000", "algorithm": "HS256"}, `{"error":"uid_prefix_doesnt_exist"}`},
		{map[string]string{"uid": user.UID, "algorithm": "RS256"}, `{"errors":["kid.blank","algorithm.inclusion"]}`},
		{map[string]string{"uid": pending.UID, "algorithm": "HS256"}, `{"errors":["key_holder_account.invalid"]}`},
		{map[string]string{"uid": user.UID, "algorithm": "HS256", "scopes": ""}, `{"error":"scopes is empty"}`},
		{map[string]string{}, `{"error":"algorithm is missing, algorithm is empty, uid is missing, uid is empty"}`},
	} {
		mgmtExpect(t, m.call(t, "/api_keys", c.data), 422, c.want)
	}

	// update.
	r = m.call(t, "/api_keys/update", map[string]string{"uid": user.UID, "kid": kid, "state": "inactive"})
	mgmtExpect(t, r, 201, "")
	if got := strings.Join(mgmtKeysOf(t, r.Body), ","); got != "kid,algorithm,scope,state,created_at,updated_at" || r.json(t)["state"] != "inactive" ||
		len(r.json(t)["scope"].([]any)) != 2 {
		t.Fatalf("updated %s", r.Body)
	}
	r = m.call(t, "/api_keys/update", map[string]string{"uid": sa.UID, "kid": saKID, "scopes": "read"})
	if mgmtExpect(t, r, 201, ""); r.json(t)["scope"].([]any)[0] != "read" {
		t.Fatalf("sa update %s", r.Body)
	}
	mgmtExpect(t, m.call(t, "/api_keys/update", map[string]string{"uid": sa.UID, "kid": kid}), 422, `{"error":"api_key_doesnt_exist"}`)
	mgmtExpect(t, m.call(t, "/api_keys/update", map[string]string{"uid": user.UID, "kid": "0000000000000000"}), 422, `{"error":"api_key_doesnt_exist"}`)
	mgmtExpect(t, m.call(t, "/api_keys/update", map[string]string{"kid": kid}), 422, `{"error":"uid is missing, uid is empty"}`)
	user.State = "locked"
	if err := m.DB.UpdateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	mgmtExpect(t, m.call(t, "/api_keys/update", map[string]string{"uid": user.UID, "kid": kid, "state": "active"}), 422, `{"errors":["state.invalid"]}`)

	// The switches BARONG_MGN_API_KEYS_USER / _SA.
	off := newMgmtServer(t, "{}", mgmtScopesYAML, map[string]string{"BARONG_MGN_API_KEYS_USER": "false", "BARONG_MGN_API_KEYS_SA": "false"})
	for _, uid := range []string{"ID0000000001", "SI0000000001"} {
		mgmtExpect(t, off.call(t, "/api_keys", map[string]string{"uid": uid, "algorithm": "HS256"}), 422, `{"error":"disabled_management_endpoint"}`)
		mgmtExpect(t, off.call(t, "/api_keys/update", map[string]string{"uid": uid, "kid": kid}), 422, `{"error":"disabled_management_endpoint"}`)
	}
}
