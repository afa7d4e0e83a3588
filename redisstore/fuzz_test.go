package redisstore

import (
	"encoding/json"
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

// FuzzDecodeMessage: any payload on the change channel decodes to a
// message from a well-formed origin with changes of known kinds, or to an
// error (the receiver then drops everything), never a panic; a decoded
// message encodes back to itself.
func FuzzDecodeMessage(f *testing.F) {
	good, _ := json.Marshal(message{Origin: "0123456789abcdef", Seq: 7, Changes: []barong.Change{
		{Kind: barong.ChangedSession, Key: "ab"}, {Kind: barong.ChangedUserSessions, Key: "ID1", Except: "cd"}}})
	f.Add(string(good))
	f.Add(`{"o":"0123456789abcdef","s":1,"c":[{"k":9}]}`)
	f.Add(`{"o":"xyz","s":1}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, payload string) {
		msg, err := decodeMessage(payload)
		if err != nil {
			return
		}
		for _, c := range msg.Changes {
			if c.Kind > barong.ChangedUserSessions {
				t.Fatalf("kind %d accepted", c.Kind)
			}
		}
		b, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeMessage(string(b))
		if err != nil || back.Origin != msg.Origin || back.Seq != msg.Seq || len(back.Changes) != len(msg.Changes) {
			t.Fatalf("round trip %+v -> %+v, %v", msg, back, err)
		}
	})
}
