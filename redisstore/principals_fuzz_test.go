package redisstore

import (
	"encoding/json"
	"testing"

	barong "github.com/barong-go/barong"
)

// FuzzDecodeSnapshots: any stored bytes decode to a snapshot or an error,
// never a panic; a decoded snapshot encodes back to one that decodes the
// same.
func FuzzDecodeSnapshots(f *testing.F) {
	f.Add(string(encodeUser(&barong.User{ID: 1, UID: "ID1", Username: "bob", Email: "b@x.io", Role: "member",
		Level: 2, OTP: true, State: "active", ReferralID: 9})))
	f.Add(string(encodeServiceAccount(&barong.ServiceAccount{ID: 2, UID: "ID2", OwnerID: 1, Email: "s@x.io",
		Role: "sa_maker", State: "active"})))
	f.Add("user:ID1\n" + `{"id":3,"kid":"k","st":"active","ht":"User","hid":1,"hu":"ID1"}`)
	f.Add(`{"uid":"x","lv":1e400}`)
	f.Add("#12")
	f.Fuzz(func(t *testing.T, v string) {
		if u, err := decodeUser(v); err == nil {
			back, err := decodeUser(string(encodeUser(u)))
			if err != nil || *back != *u {
				t.Fatalf("user round trip: %+v -> %+v, %v", u, back, err)
			}
		}
		if sa, err := decodeServiceAccount(v); err == nil {
			back, err := decodeServiceAccount(string(encodeServiceAccount(sa)))
			if err != nil || *back != *sa {
				t.Fatalf("service account round trip: %+v -> %+v, %v", sa, back, err)
			}
		}
		if k, err := decodeKey(v); err == nil {
			b, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeKey(holderSuffix(k.HolderType, k.HolderUID) + "\n" + string(b))
			if err != nil || *back != *k {
				t.Fatalf("key round trip: %+v -> %+v, %v", k, back, err)
			}
		}
	})
}
