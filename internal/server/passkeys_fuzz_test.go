package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzPasskeySignIn sends mutated assertions to the passkey sign-in of a
// server holding one registered passkey: every answer is a 4xx with a key
// (the signature, client data and authenticator data checks refuse; never
// a 500, never a session). The seeds are real assertions of the software
// authenticator (their challenges used up before the runs) and their
// mutations.
func FuzzPasskeySignIn(f *testing.F) {
	ts := newServerTB(f, passkeyEnv(map[string]string{"BARONG_LOGIN_THROTTLE_ENABLED": "false"}))
	root := ts.client()
	if r := root.doTB(f, "POST", id+"/users", map[string]string{"email": "root@example.com", "password": strongPassword}); r.Status != 201 {
		f.Fatalf("sign-up %d %s", r.Status, r.Body)
	}
	c := ts.client()
	r := c.doTB(f, "POST", id+"/users", map[string]string{"email": "fuzz@example.com", "password": strongPassword})
	var info map[string]any
	_ = json.Unmarshal(r.Body, &info)
	c.csrf, _ = info["csrf_token"].(string)
	r = c.doTB(f, "POST", wa+"/options", withPassword(nil))
	var o struct {
		PublicKey struct{ User struct{ ID string } } `json:"publicKey"`
	}
	if err := json.Unmarshal(r.Body, &o); err != nil || r.Status != 200 {
		f.Fatalf("options %d %s", r.Status, r.Body)
	}
	k := newSoftKey(f, rpDomain, o.PublicKey.User.ID, true)
	if r := c.doTB(f, "POST", wa, map[string]any{"credential": k.create(f, r.Body, ceremony{origin: rpOrigin, format: "packed"})}); r.Status != 201 {
		f.Fatalf("register %d %s", r.Status, r.Body)
	}
	for _, cer := range []ceremony{{origin: rpOrigin}, {origin: rpOrigin, flags: flagUP}, {origin: "https://evil.example"}} {
		r := ts.client().doTB(f, "POST", id+"/sessions/webauthn/options", nil)
		b, _ := json.Marshal(k.get(f, r.Body, cer))
		// Used once here: in the fuzz runs, the challenge is spent.
		ts.client().doTB(f, "POST", id+"/sessions/webauthn", map[string]any{"credential": string(b)})
		f.Add(string(b))
		f.Add(strings.Replace(string(b), `"type":"public-key"`, `"type":"public-key","x":1`, 1))
		f.Add(string(b[:len(b)/2]))
	}
	f.Add(`{"id":"","rawId":"","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":""}}`)
	f.Fuzz(func(t *testing.T, credential string) {
		r := ts.client().doTB(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": credential})
		var e struct{ Errors []string }
		if r.Status < 400 || r.Status >= 500 || json.Unmarshal(r.Body, &e) != nil || len(e.Errors) == 0 {
			t.Fatalf("credential %q: %d %s", credential, r.Status, r.Body)
		}
	})
}
