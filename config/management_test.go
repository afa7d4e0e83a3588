package config

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey returns one RSA key shared by the tests (generation is slow).
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

// pemValue encodes a key as management_api.yml wants it: URL-safe base64 of
// the PEM text.
func pemValue(t *testing.T, blockType string, der []byte) string {
	t.Helper()
	return base64.URLEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

func publicValue(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemValue(t, "PUBLIC KEY", der)
}

func TestManagementAPIKeychain(t *testing.T) {
	t.Parallel()
	key := testRSAKey(t)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaValue := publicValue(t, &key.PublicKey)
	pkcs1 := pemValue(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey))
	file := fmt.Sprintf(`
keychain:
  applogic:
    algorithm: RS256
    value: %s
  peatio:
    value: %s
  edge:
    value: "%s"
  ecsigner:
    value: %s
jwt:
  verify_iss: true
  iss: applogic
scopes:
  read_users:
    permitted_signers: [applogic, peatio]
    mandatory_signers: [applogic]
  write_users:
    permitted_signers: [applogic, edge, ecsigner]
    mandatory_signers: [applogic, edge]
`, rsaValue, strings.TrimRight(pkcs1, "="), publicValue(t, edPub), publicValue(t, &ec.PublicKey))
	c := mustLoad(t, map[string]string{"BARONG_MANAGEMENT_API_FILE": writeFile(t, "m.yml", file)})
	m := c.ManagementAPI
	algs := map[string]string{}
	for id, k := range m.Keychain {
		algs[id] = k.Algorithm
	}
	if fmt.Sprint(algs) != "map[applogic:RS256 ecsigner:ES384 edge:EdDSA peatio:RS256]" {
		t.Errorf("algorithms = %v", algs)
	}
	if pub, ok := m.Keychain["applogic"].PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		t.Errorf("applogic key = %T", m.Keychain["applogic"].PublicKey)
	}
	if m.Keychain["applogic"].Value != rsaValue {
		t.Error("Value is not kept as configured")
	}
	if !m.Keychain["edge"].PublicKey.(ed25519.PublicKey).Equal(edPub) {
		t.Error("edge key differs")
	}
	if m.JWT["verify_iss"] != true || m.JWT["iss"] != "applogic" {
		t.Errorf("JWT = %v", m.JWT)
	}
	if s := m.Scopes["write_users"]; !slices.Equal(s.MandatorySigners, []string{"applogic", "edge"}) ||
		len(s.PermittedSigners) != 3 {
		t.Errorf("scope = %+v", s)
	}
}

func TestManagementAPIBuiltInIsEmpty(t *testing.T) {
	t.Parallel()
	m := mustLoad(t, nil).ManagementAPI
	if len(m.Keychain) != 0 || len(m.Scopes) != 0 || m.JWT == nil {
		t.Errorf("built-in management API = %+v", m)
	}
}

func TestManagementAPIRejects(t *testing.T) {
	t.Parallel()
	key := testRSAKey(t)
	rsaPub := publicValue(t, &key.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	cert := pemValue(t, "CERTIFICATE", []byte("not really"))
	cases := []struct {
		keychain, scopes, want string
	}{
		{"k: {algorithm: RS256, value: " + pemValue(t, "PRIVATE KEY", pkcs8) + "}", "",
			"keychain.k: value is a private key; configure the public key"},
		{"k: {value: " + pemValue(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)) + "}", "",
			"keychain.k: value is a private key; configure the public key"},
		{"k: {algorithm: HS256, value: " + rsaPub + "}", "",
			`keychain.k: algorithm "HS256" is not one of RS256, RS384, RS512, ES256, ES384, ES512, EdDSA`},
		{"k: {algorithm: none, value: " + rsaPub + "}", "",
			`keychain.k: algorithm "none" is not one of RS256, RS384, RS512, ES256, ES384, ES512, EdDSA`},
		{"k: {algorithm: ES256, value: " + rsaPub + "}", "", "keychain.k: algorithm ES256 does not fit its RSA key"},
		{"k: {algorithm: RS512, value: " + publicValue(t, edPub) + "}", "",
			"keychain.k: algorithm RS512 does not fit its Ed25519 key"},
		{"k: {value: '!!!'}", "", "keychain.k: value is not URL-safe base64"},
		{"k: {value: " + base64.URLEncoding.EncodeToString([]byte("plain text")) + "}", "",
			"keychain.k: value is not a PEM key"},
		{"k: {value: " + cert + "}", "", `keychain.k: value holds a PEM "CERTIFICATE" block, not a public key`},
		{"k: {}", "", "keychain.k: value is empty"},
		{"k: {value: " + rsaPub + "}", "s: {permitted_signers: [k], mandatory_signers: []}",
			"scopes.s: mandatory_signers is empty"},
		{"k: {value: " + rsaPub + "}", "s: {permitted_signers: [k, x], mandatory_signers: [k]}",
			`scopes.s: permitted signer "x" is not in the keychain`},
		{"k: {value: " + rsaPub + "}", "s: {permitted_signers: [], mandatory_signers: [k]}",
			`scopes.s: mandatory signer "k" is not a permitted signer`},
	}
	for _, tc := range cases {
		_, problems := parseManagementAPI([]byte("keychain: {" + tc.keychain + "}\nscopes: {" + tc.scopes + "}\n"))
		if !slices.Equal(problems, []string{tc.want}) {
			t.Errorf("keychain %.60s… scopes %q:\n got %q\nwant %q", tc.keychain, tc.scopes, problems, tc.want)
		}
	}
	// Through Load, the problem names the file.
	path := writeFile(t, "m.yml", "keychain:\n  k:\n    value: "+pemValue(t, "PRIVATE KEY", pkcs8)+"\n")
	got := problems(t, map[string]string{"BARONG_MANAGEMENT_API_FILE": path})
	if !slices.Equal(got, []string{"BARONG_MANAGEMENT_API_FILE " + path +
		": keychain.k: value is a private key; configure the public key"}) {
		t.Errorf("Load problems = %q", got)
	}
}
