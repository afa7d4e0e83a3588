package crypt

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	key, err := GenerateKey()
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

func TestKeyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k", "enc.key")
	if _, err := LoadKey(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("LoadKey created a file")
	}
	k1, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(p, k1); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	k2, err := LoadKey(p)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("key not read back: %v", err)
	}
	other, _ := GenerateKey()
	if err := WriteKeyFile(p, other); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("existing file replaced: %v", err)
	}
	if k3, _ := LoadKey(p); string(k3) != string(k1) {
		t.Fatal("key file changed")
	}
	if CheckValue(k1) != CheckValue(k2) || CheckValue(k1) == CheckValue(other) {
		t.Fatal("check values do not tell keys apart")
	}
	if strings.Contains(CheckValue(k1), hex.EncodeToString(k1)) {
		t.Fatal("check value shows the key")
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(p); err == nil {
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
