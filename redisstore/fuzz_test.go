package redisstore

import (
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// FuzzDecodeSession: any stored bytes decode to a session with a uid or to
// an error, never a panic; a decoded session encodes back to a record that
// decodes to the same session.
func FuzzDecodeSession(f *testing.F) {
	s := &barong.Session{UID: "ID1", UserIP: "1.2.3.4", UserAgent: "UA", CSRFToken: "abc",
		ExpireTime: 1700000000, CreatedAt: time.Unix(1700000000, 5).UTC()}
	good, err := encodeSession(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"uid":""}`))
	f.Add([]byte(`{"uid":"x","exp":"1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeSession("id", data)
		if err != nil {
			return
		}
		if got.UID == "" || got.ID != "id" {
			t.Fatalf("decoded %+v", got)
		}
		again, err := encodeSession(got)
		if err != nil {
			return // e.g. a year outside what JSON time can hold
		}
		back, err := decodeSession("id", again)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if *back != *got {
			t.Fatalf("round trip: %+v != %+v", back, got)
		}
	})
}
