package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateRSA(t *testing.T) {
	t.Parallel()
	if _, err := GenerateRSA(1024); err == nil {
		t.Fatal("GenerateRSA(1024) succeeded, want refusal below 2048 bits")
	}
	k, _, _ := testKeys(t)
	if k.Algorithm() != AlgRS256 {
		t.Fatalf("Algorithm = %q", k.Algorithm())
	}
	if got := k.Public().(*rsa.PublicKey).N.BitLen(); got != 2048 {
		t.Fatalf("bits = %d", got)
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	rp := r.priv.(*rsa.PrivateKey)
	pkcs8RSA, err := x509.MarshalPKCS8PrivateKey(rp)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8EC, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	ok := []struct {
		name string
		pem  []byte
		want *Key
	}{
		{"PKCS1 RSA", enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rp)), r},
		{"PKCS8 RSA", enc("PRIVATE KEY", pkcs8RSA), r},
		{"PKCS8 Ed25519", ed.PrivatePEM(), ed},
		{"own RSA PEM", r.PrivatePEM(), r},
		// openware/pkg/jwt's EdDSA key store writes the bare 32-byte seed.
		{"raw Ed25519 seed", enc("PRIVATE KEY", ed.priv.(ed25519.PrivateKey).Seed()), ed},
	}
	for _, tc := range ok {
		k, err := ParsePrivateKeyPEM(tc.pem)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if k.KID() != tc.want.KID() || k.Algorithm() != tc.want.Algorithm() {
			t.Fatalf("%s: parsed %s/%s, want %s/%s", tc.name, k.KID(), k.Algorithm(), tc.want.KID(), tc.want.Algorithm())
		}
	}
	if !bytes.HasPrefix(r.PrivatePEM(), []byte("-----BEGIN RSA PRIVATE KEY-----")) {
		t.Fatalf("RSA PrivatePEM is not PKCS#1")
	}
	if !bytes.HasPrefix(ed.PrivatePEM(), []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Fatalf("Ed25519 PrivatePEM is not PKCS#8")
	}

	bad := map[string][]byte{
		"no PEM":        []byte("not a key"),
		"EC block":      enc("EC PRIVATE KEY", ecDER),
		"PKCS8 ECDSA":   enc("PRIVATE KEY", pkcs8EC),
		"garbage PKCS1": enc("RSA PRIVATE KEY", []byte{1, 2, 3}),
		"public only":   r.PublicPEM(),
		"31-byte seed":  enc("PRIVATE KEY", make([]byte, 31)),
	}
	for name, p := range bad {
		if _, err := ParsePrivateKeyPEM(p); err == nil {
			t.Errorf("%s: parsed, want error", name)
		}
	}
}

// TestParseOpenSSLKeys reads keys as an operator would create them.
func TestParseOpenSSLKeys(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	cases := map[string][]string{
		"ed25519.pem":   {"genpkey", "-algorithm", "ed25519"},
		"rsa-pkcs8.pem": {"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"},
		"rsa-pkcs1.pem": {"genrsa", "-traditional", "2048"},
	}
	for name, args := range cases {
		path := filepath.Join(dir, name)
		cmd := exec.Command("openssl", append(args, "-out", path)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("openssl %v: %v\n%s (skipped)", args, err, out)
			continue
		}
		k, err := LoadKey(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The public PEM must match what openssl derives.
		out, err := exec.Command("openssl", "pkey", "-in", path, "-pubout").Output()
		if err != nil {
			t.Fatalf("openssl pkey: %v", err)
		}
		if !bytes.Equal(out, k.PublicPEM()) {
			t.Fatalf("%s: PublicPEM differs from openssl:\n%s\n%s", name, out, k.PublicPEM())
		}
	}
}

func TestPublicKeyPEM(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	for _, k := range []*Key{r, ed} {
		p := k.PublicPEM()
		if !bytes.HasPrefix(p, []byte("-----BEGIN PUBLIC KEY-----\n")) {
			t.Fatalf("PublicPEM = %s", p)
		}
		pub, err := ParsePublicKeyPEM(p)
		if err != nil {
			t.Fatal(err)
		}
		if kid, _ := Thumbprint(pub); kid != k.KID() {
			t.Fatalf("round trip changed the key")
		}
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(r.Public().(*rsa.PublicKey))})
	if _, err := ParsePublicKeyPEM(pkcs1); err != nil {
		t.Fatalf("PKCS#1 public key: %v", err)
	}
	if _, err := ParsePublicKeyPEM(r.PrivatePEM()); err == nil {
		t.Fatal("private PEM accepted as public key")
	}
}

func TestThumbprintRFCVectors(t *testing.T) {
	t.Parallel()
	// RFC 7638 §3.1.
	n, _ := b64.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	got, err := Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("RSA thumbprint = %q, %v", got, err)
	}
	// RFC 8037 Appendix A.3.
	x, _ := b64.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	got, err = Thumbprint(ed25519.PublicKey(x))
	if err != nil || got != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("Ed25519 thumbprint = %q, %v", got, err)
	}
}

func TestCreateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "var", "keys", "jwt-key.pem")

	if _, err := LoadKey(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKey(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("LoadKey created the file")
	}
	k1, err := GenerateRSA(DefaultKeyBits)
	if err != nil {
		t.Fatal(err)
	}
	if err := CreateKeyFile(path, k1); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode = %v, want 0700", dst.Mode().Perm())
	}
	k2, err := LoadKey(path)
	if err != nil || k2.KID() != k1.KID() {
		t.Fatalf("key not read back: %v", err)
	}
	other, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	if err := CreateKeyFile(path, other); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("existing key replaced: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("leftover files in key dir: %v", entries)
	}
	f1, _ := PublicKeyFingerprint(k1.Public())
	f2, _ := PublicKeyFingerprint(k2.Public())
	f3, _ := PublicKeyFingerprint(other.Public())
	if f1 != f2 || f1 == f3 || !strings.HasPrefix(f1, "sha256:") || len(f1) != 7+64 {
		t.Fatalf("fingerprints %s %s %s", f1, f2, f3)
	}
}

func TestWriteNewFileExclusive(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := writeNewFile(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := writeNewFile(path, []byte("second")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second write = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("content = %q", b)
	}
}
