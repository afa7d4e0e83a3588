package app

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func deviceThrottle(now *time.Time) *Throttle {
	return NewThrottle(ThrottleConfig{DeviceKey: []byte("0123456789abcdef0123456789abcdef")}, nil, nil,
		func() time.Time { return *now })
}

func TestDeviceCookie(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	th := deviceThrottle(&now)
	c, ttl := th.IssueDevice("IDAAAAAAAAAA", "")
	id := th.Device(c, "IDAAAAAAAAAA")
	if len(id) != 32 || ttl != 180*24*time.Hour {
		t.Fatalf("device %q ttl %v", id, ttl)
	}
	if th.Device(c, "IDBBBBBBBBBB") != "" {
		t.Fatal("a device cookie of one account is valid for another")
	}
	// Renewal keeps the id; a cookie of another account is not renewed.
	now = now.Add(time.Hour)
	again, _ := th.IssueDevice("IDAAAAAAAAAA", c)
	if th.Device(again, "IDAAAAAAAAAA") != id || again == c {
		t.Fatal("renewal changed the device or not the expiry")
	}
	if other, _ := th.IssueDevice("IDBBBBBBBBBB", c); th.Device(other, "IDBBBBBBBBBB") == id {
		t.Fatal("another account's cookie kept its device id")
	}
	// Another key, expiry.
	if NewThrottle(ThrottleConfig{DeviceKey: []byte("another key")}, nil, nil, nil).Device(c, "IDAAAAAAAAAA") != "" {
		t.Fatal("verified with another key")
	}
	now = now.Add(180*24*time.Hour - 30*time.Minute) // past the first, before the renewed
	if th.Device(c, "IDAAAAAAAAAA") != "" {
		t.Fatal("expired cookie accepted")
	}
	if th.Device(again, "IDAAAAAAAAAA") == "" {
		t.Fatal("renewed cookie expired with the old one")
	}
	// Off without a key.
	if c, _ := NewThrottle(ThrottleConfig{}, nil, nil, nil).IssueDevice("IDAAAAAAAAAA", ""); c != "" {
		t.Fatal("cookie issued without a key")
	}
}

// FuzzDevice checks the device cookie verification on arbitrary input: it
// never panics, accepts only cookies IssueDevice made for that account,
// and no single changed byte of a valid cookie verifies.
func FuzzDevice(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	th := deviceThrottle(&now)
	// A fixed valid cookie (every fuzz worker must know the same one).
	id := []byte("fixed device id!")
	exp := binary.BigEndian.AppendUint64(nil, uint64(now.Add(time.Hour).Unix()))
	valid := base64.RawURLEncoding.EncodeToString(append(append(id, exp...), th.deviceMAC("IDAAAAAAAAAA", id, exp)...))
	if th.Device(valid, "IDAAAAAAAAAA") == "" {
		f.Fatal("the fixed cookie does not verify")
	}
	for _, s := range []string{valid, "", "x", strings.Repeat("A", 75), valid + "A", valid[1:]} {
		f.Add(s, "IDAAAAAAAAAA", 0)
	}
	f.Fuzz(func(t *testing.T, cookie, uid string, flip int) {
		if id := th.Device(cookie, uid); id != "" && (cookie != valid || uid != "IDAAAAAAAAAA") {
			t.Fatalf("Device(%q, %q) = %q", cookie, uid, id)
		}
		b, _ := base64.RawURLEncoding.DecodeString(valid)
		i := (flip%len(b) + len(b)) % len(b)
		b[i] ^= 0x80
		if th.Device(base64.RawURLEncoding.EncodeToString(b), "IDAAAAAAAAAA") != "" {
			t.Fatalf("cookie with byte %d changed verified", i)
		}
	})
}
