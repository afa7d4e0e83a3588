package crypt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	key, err := LoadOrGenerateKey(filepath.Join(t.TempDir(), "k", "enc.key"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "a", "Иван", strings.Repeat("x", 5000)} {
		enc, err := c.Encrypt(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) > 3 && strings.Contains(enc, s) {
			t.Fatalf("plain text visible in %q", enc)
		}
		dec, err := c.Decrypt(enc)
		if err != nil || dec != s {
			t.Fatalf("round trip %q: %q %v", s, dec, err)
		}
	}
	enc, _ := c.Encrypt("secret")
	if _, err := c.Decrypt(enc[:len(enc)-2] + "AA"); err == nil {
		t.Fatal("tampered value decrypted")
	}
	if _, err := c.Decrypt("plain"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestKeyFileReused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "enc.key")
	k1, err := LoadOrGenerateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	k2, _ := LoadOrGenerateKey(p)
	if string(k1) != string(k2) {
		t.Fatal("key not reused")
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrGenerateKey(p); err == nil {
		t.Fatal("bad key accepted")
	}
}

func TestIndex(t *testing.T) {
	// crc32("380501234567") as zlib computes it, no salt.
	if got := Index("123456789", ""); got != 0xCBF43926 {
		t.Fatalf("crc32 check value: %x", got)
	}
	if Index("1", "salt") == Index("1", "") {
		t.Fatal("salt ignored")
	}
}

func FuzzDecrypt(f *testing.F) {
	c, _ := New(make([]byte, KeySize))
	f.Add("v1:AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = c.Decrypt(s)
	})
}
