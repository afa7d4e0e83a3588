package server_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// mgmtSigner is a management API signer of the tests: a key, the kid it
// signs as and the algorithm it names in its protected header.
type mgmtSigner struct {
	kid, alg string
	priv     crypto.Signer
	pubPEM   []byte
}

var (
	mgmtKeysOnce sync.Once
	mgmtRSA      *rsa.PrivateKey // applogic (RS256)
	mgmtRSA2     *rsa.PrivateKey // stranger: never in the keychain
	mgmtEd       ed25519.PrivateKey
)

func mgmtKeys(t testing.TB) {
	t.Helper()
	mgmtKeysOnce.Do(func() {
		var err error
		if mgmtRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if mgmtRSA2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, mgmtEd, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

func newMgmtSigner(t testing.TB, kid, alg string, priv crypto.Signer) *mgmtSigner {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &mgmtSigner{kid: kid, alg: alg, priv: priv, pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

// sign returns one signature of the general serialization over the
// base64url payload, with protected header {"alg":s.alg}.
func (s *mgmtSigner) sign(t testing.TB, payload string) map[string]any {
	t.Helper()
	prot := b64url([]byte(`{"alg":"` + s.alg + `"}`))
	return map[string]any{"protected": prot, "header": map[string]string{"kid": s.kid},
		"signature": b64url(s.raw(t, prot+"."+payload))}
}

// raw signs input: RS256 and EdDSA with the private key; HS256 with the
// signer's public PEM as the secret (the alg-confusion forgery).
func (s *mgmtSigner) raw(t testing.TB, input string) []byte {
	t.Helper()
	switch s.alg {
	case "RS256":
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, s.priv.(*rsa.PrivateKey), crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case "EdDSA":
		return ed25519.Sign(s.priv.(ed25519.PrivateKey), []byte(input))
	case "HS256":
		m := hmac.New(sha256.New, s.pubPEM)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
	t.Fatalf("unknown alg %s", s.alg)
	return nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// mgmtEnv is a server with management_api.yml configured: signers
// applogic (RS256), peatio (EdDSA) and their forgeries.
type mgmtEnv struct {
	*testServer
	applogic, peatio *mgmtSigner
	uploads          string
}

// mgmtScopesYAML lists every scope: applogic alone may do most, writing
// users needs applogic and peatio, peatio alone may read phones.
const mgmtScopesYAML = `scopes:
  tools: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic]}
  read_users: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic]}
  write_users: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  read_labels: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  write_labels: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  read_phones: {permitted_signers: [peatio], mandatory_signers: [peatio]}
  write_phones: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  otp_sign: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  write_documents: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  read_service_accounts: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  write_service_accounts: {permitted_signers: [applogic], mandatory_signers: [applogic]}
  write_apikeys: {permitted_signers: [applogic], mandatory_signers: [applogic]}
`

// newMgmtServer starts a server whose management_api.yml (written to a
// temp dir) holds the test keys, jwt options jwtYAML and scopes.
func newMgmtServer(t *testing.T, jwtYAML, scopes string, env map[string]string) *mgmtEnv {
	t.Helper()
	mgmtKeys(t)
	m := &mgmtEnv{applogic: newMgmtSigner(t, "applogic", "RS256", mgmtRSA),
		peatio: newMgmtSigner(t, "peatio", "EdDSA", mgmtEd), uploads: t.TempDir()}
	yml := "keychain:\n" +
		"  applogic:\n    algorithm: RS256\n    value: " + base64.URLEncoding.EncodeToString(m.applogic.pubPEM) + "\n" +
		"  peatio:\n    algorithm: EdDSA\n    value: " + base64.URLEncoding.EncodeToString(m.peatio.pubPEM) + "\n" +
		"jwt: " + jwtYAML + "\n" + scopes
	path := filepath.Join(t.TempDir(), "management_api.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	e := map[string]string{"BARONG_MANAGEMENT_API_FILE": path, "BARONG_STORAGE_LOCAL_DIR": m.uploads,
		"BARONG_MGN_API_KEYS_USER": "true", "BARONG_MGN_API_KEYS_SA": "true"}
	for k, v := range env {
		e[k] = v
	}
	m.testServer = newServer(t, e)
	return m
}

// claims are the standard claims of a fresh request: iat now, exp in a
// minute, a random jti, and data.
func mgmtClaims(data any) map[string]any {
	now := time.Now().Unix()
	var j [8]byte
	_, _ = rand.Read(j[:])
	return map[string]any{"iat": now, "exp": now + 60, "jti": hex.EncodeToString(j[:]), "iss": "applogic", "data": data}
}

// body is the JWS (general serialization) of claims signed by signers.
func mgmtBody(t testing.TB, claims map[string]any, signers ...*mgmtSigner) []byte {
	t.Helper()
	raw, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	payload := b64url(raw)
	sigs := []any{}
	for _, s := range signers {
		sigs = append(sigs, s.sign(t, payload))
	}
	b, _ := json.Marshal(map[string]any{"payload": payload, "signatures": sigs})
	return b
}

// send posts body to the management path (under /api/v2/management) with
// method and content type and returns the answer.
func (m *mgmtEnv) send(t *testing.T, method, path, contentType string, body []byte) *response {
	t.Helper()
	req, err := http.NewRequest(method, m.URL+"/api/v2/management"+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// call POSTs data signed by applogic (and peatio for write_users).
func (m *mgmtEnv) call(t *testing.T, path string, data any) *response {
	t.Helper()
	return m.callAs(t, "POST", path, data, m.applogic, m.peatio)
}

// callAs sends data with method, signed by signers.
func (m *mgmtEnv) callAs(t *testing.T, method, path string, data any, signers ...*mgmtSigner) *response {
	t.Helper()
	return m.send(t, method, path, "application/json", mgmtBody(t, mgmtClaims(data), signers...))
}

// mgmtExpect asserts the status and, unless want is "", the exact body.
func mgmtExpect(t *testing.T, r *response, status int, want string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if want != "" && strings.TrimSpace(string(r.Body)) != want {
		t.Fatalf("body\n %s\nwant\n %s", r.Body, want)
	}
}

// mgmtUser creates a user row directly (a fresh uid and e-mail).
func mgmtUser(t *testing.T, ts *testServer, email string, mod ...func(*barong.User)) *barong.User {
	t.Helper()
	u := &barong.User{UID: barong.GenerateUID("ID"), Email: email, PasswordDigest: "$2a$04$abcdefghijklmnopqrstuu5Xn7a4P6zvDW2Q2QhS5rCcOq4lQ2m1i"}
	for _, f := range mod {
		f(u)
	}
	if err := ts.DB.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// mgmtEnableOTP turns 2FA on for u with a known secret.
func mgmtEnableOTP(t *testing.T, ts *testServer, u *barong.User) string {
	t.Helper()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	ctx := context.Background()
	if err := ts.DB.SetTOTPSecret(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	u.OTP = true
	if err := ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return secret
}

// mgmtTOTP is the code of secret now.
func mgmtTOTP(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonList decodes an array answer.
func jsonList(t *testing.T, r *response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return out
}
