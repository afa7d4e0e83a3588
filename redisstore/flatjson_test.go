package redisstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// flatTargets decode the same bytes with scanFlat (ok false when it
// declines) and with encoding/json.
var flatTargets = map[string]func(data string) (fast, slow any, ok bool, slowErr error){
	"record": func(d string) (any, any, bool, error) {
		var f, s record
		ok := scanFlat(d, f.set) == nil
		return f, s, ok, json.Unmarshal([]byte(d), &s)
	},
	"user": func(d string) (any, any, bool, error) {
		var f, s userSnap
		ok := scanFlat(d, f.set) == nil
		err := json.Unmarshal([]byte(d), &s)
		return f, s, ok, err
	},
	"sa": func(d string) (any, any, bool, error) {
		var f, s saSnap
		ok := scanFlat(d, f.set) == nil
		err := json.Unmarshal([]byte(d), &s)
		return f, s, ok, err
	},
	"key": func(d string) (any, any, bool, error) {
		var f, s KeySnapshot
		ok := scanFlat(d, f.set) == nil
		err := json.Unmarshal([]byte(d), &s)
		return f, s, ok, err
	},
}

// FuzzScanFlat: whatever scanFlat accepts, encoding/json accepts too and
// decodes to the same value; scanFlat never panics.
func FuzzScanFlat(f *testing.F) {
	rec, _ := encodeSession(&barong.Session{UID: "ID1", UserIP: "1.2.3.4", UserAgent: "Mozilla <\"x\"> \u2028 é",
		CSRFToken: "abc", ExpireTime: 1700000000, CreatedAt: time.Unix(1700000000, 0).UTC()})
	f.Add(string(rec))
	f.Add(string(encodeUser(&barong.User{ID: 1, UID: "ID1", Username: "bob", Email: "b@x.io", Role: "member", Level: 2,
		OTP: true, State: "active", ReferralID: 9})))
	f.Add(`{"id":3,"kid":"k","st":"active","ht":"User","hid":1,"hu":"ID1"}`)
	for _, s := range []string{`{}`, `{"uid":null}`, `{"UID":"x"}`, `{"exp":01}`, `{"exp":-0}`, `{"exp":1.5}`,
		`{"uid":"a","uid":"b"}`, `{"uid":"\ud800"}`, "{\"uid\":\"\xff\"}", `{"lv":9999999999999999999}`,
		`{"created":"2024-01-01T00:00:00Z"}`, `{"created":"2024-01-01T24:00:00Z"}`, `{"otp":true,"id":-5}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for name, decode := range flatTargets {
			fast, slow, ok, slowErr := decode(data)
			if !ok {
				continue
			}
			if slowErr != nil {
				t.Fatalf("%s: scanFlat accepted %q, encoding/json refused it: %v", name, data, slowErr)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%s: %q decodes to %+v, encoding/json gives %+v", name, data, fast, slow)
			}
		}
	})
}

// TestScanFlatHandlesStoredForms: what the package writes is read by the
// fast path, not the fallback.
func TestScanFlatHandlesStoredForms(t *testing.T) {
	rec, err := encodeSession(&barong.Session{UID: "ID1", UserIP: "::1", UserAgent: "UA \"quoted\" <b>", CSRFToken: "c",
		ExpireTime: 1, CreatedAt: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	var r record
	sa, _ := json.Marshal(saSnap{ID: 1, UID: "u", OwnerID: 2, Email: "e", Role: "r", Level: 3, State: "s"})
	key, _ := json.Marshal(KeySnapshot{ID: 1, KID: "k", State: "s", HolderType: "User", HolderID: 2, HolderUID: "u"})
	var us userSnap
	var ss saSnap
	var ks KeySnapshot
	for name, err := range map[string]error{
		"record": scanFlat(string(rec), r.set),
		"user": scanFlat(string(encodeUser(&barong.User{ID: 1, UID: "u", Username: "n", Email: "e", Role: "r", Level: 1,
			OTP: true, State: "s", ReferralID: 4})), us.set),
		"sa":  scanFlat(string(sa), ss.set),
		"key": scanFlat(string(key), ks.set),
	} {
		if err != nil {
			t.Errorf("%s: fast path declined the stored form: %v", name, err)
		}
	}
}
