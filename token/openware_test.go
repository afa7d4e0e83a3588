package token

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	owjwt "github.com/openware/pkg/jwt"
)

// Keys written by github.com/openware/pkg/jwt's key stores (v0.1.7), the
// way the platform's Go services create them, are read by barong, and the
// tokens barong signs with them verify with that library.
func TestOpenwareKeyStores(t *testing.T) {
	dir := t.TempDir()

	rsaKS, err := owjwt.LoadOrGenerateKeys(filepath.Join(dir, "rsa.pem"), filepath.Join(dir, "rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	edKS, err := owjwt.LoadOrGenerateKeysEdDSA(filepath.Join(dir, "ed.pem"), filepath.Join(dir, "ed.pub"))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		file   string
		alg    string
		verify func(tok string) (owjwt.Auth, error)
	}{
		{"rsa.pem", "RS256", func(tok string) (owjwt.Auth, error) { return owjwt.ParseAndValidate(tok, rsaKS.PublicKey) }},
		{"ed.pem", "EdDSA", func(tok string) (owjwt.Auth, error) {
			return owjwt.ParseAndValidateEdDSA(tok, edKS.PublicKey)
		}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParsePrivateKeyPEM(data)
		if err != nil {
			t.Fatalf("%s written by openware/pkg/jwt: %v", tc.file, err)
		}
		if k.Algorithm() != tc.alg {
			t.Fatalf("%s: algorithm %s, want %s", tc.file, k.Algorithm(), tc.alg)
		}
		ring, err := NewKeyring(k)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ring.IssueAccess(AccessClaims{UID: "ID0000000001", Email: "a@example.com", Role: "member", Level: 2, State: "active"}, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		a, err := tc.verify(tok)
		if err != nil {
			t.Fatalf("%s: openware/pkg/jwt rejects barong's token: %v", tc.file, err)
		}
		if a.UID != "ID0000000001" || a.Email != "a@example.com" || a.Role != "member" || a.Level.String() != "2" || a.State != "active" {
			t.Fatalf("%s: claims %+v", tc.file, a)
		}
	}
}
