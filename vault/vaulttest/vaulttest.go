// Package vaulttest runs a local server that answers as HashiCorp Vault's
// HTTP API does for the endpoints Barong used and barong-go reads: transit
// keys, encrypt and decrypt (single and batch_input); key/value version 1
// and 2 reads and writes; TOTP keys and code validation (SHA1, 6 digits,
// 30 s, skew 1, each code accepted once); token lookup. Every request must
// carry the server's token in X-Vault-Token, else 403 "permission denied".
// For tests only.
package vaulttest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Mounts of the server, Barong's defaults.
const (
	TransitMount = "transit"
	KVMount      = "secret"
	TOTPMount    = "totp"
)

// Server is a running fake Vault.
type Server struct {
	*httptest.Server
	Token string

	mu       sync.Mutex
	transit  map[string]cipher.AEAD // key name -> key
	kv       map[string]map[string]any
	kvV2     bool
	totp     map[string]string // key name -> base32 secret
	used     map[string]time.Time
	requests map[string]int // "METHOD path" -> count
	down     bool
	ttl      int64 // seconds the token has left; 0: no TTL
}

// SetTokenTTL gives the token a renewable time to live; each renewal
// restores it.
func (s *Server) SetTokenTTL(seconds int64) { s.mu.Lock(); s.ttl = seconds; s.mu.Unlock() }

// New starts a fake Vault with a random token, closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	var b [12]byte
	_, _ = rand.Read(b[:])
	s := &Server{Token: "hvs." + base64.RawURLEncoding.EncodeToString(b[:]), transit: map[string]cipher.AEAD{},
		kv: map[string]map[string]any{}, totp: map[string]string{}, used: map[string]time.Time{}, requests: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// UseKVv2 makes the "secret" mount a K/V version 2 engine.
func (s *Server) UseKVv2() { s.mu.Lock(); s.kvV2 = true; s.mu.Unlock() }

// SetDown makes every request fail with 503, as a sealed Vault.
func (s *Server) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

// Requests returns how many requests were sent as "METHOD /v1/path".
func (s *Server) Requests(methodPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[methodPath]
}

// TotalRequests counts every request received.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// Encrypt encrypts plaintext with transit key name (created on first use)
// and returns the "vault:v1:..." ciphertext, as Vault's encrypt endpoint.
func (s *Server) Encrypt(name string, plaintext []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encrypt(name, plaintext)
}

func (s *Server) key(name string) cipher.AEAD {
	if k, ok := s.transit[name]; ok {
		return k
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(block)
	s.transit[name] = aead
	return aead
}

func (s *Server) encrypt(name string, plaintext []byte) string {
	k := s.key(name)
	nonce := make([]byte, k.NonceSize())
	_, _ = rand.Read(nonce)
	return "vault:v1:" + base64.StdEncoding.EncodeToString(k.Seal(nonce, nonce, plaintext, nil))
}

func (s *Server) decrypt(name, ct string) ([]byte, string) {
	k, ok := s.transit[name]
	if !ok {
		return nil, "encryption key not found"
	}
	rest, ok := strings.CutPrefix(ct, "vault:v1:")
	if !ok {
		return nil, "invalid ciphertext: no prefix"
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < k.NonceSize() {
		return nil, "invalid ciphertext: could not decode base64"
	}
	p, err := k.Open(nil, raw[:k.NonceSize()], raw[k.NonceSize():], nil)
	if err != nil {
		return nil, "cipher: message authentication failed"
	}
	return p, ""
}

// PutKV stores data at path of the "secret" mount (path without the
// mount, e.g. "barong/api_key/<kid>").
func (s *Server) PutKV(path string, data map[string]any) {
	s.mu.Lock()
	s.kv[path] = data
	s.mu.Unlock()
}

// PutTOTPKey creates TOTP key name with a base32 secret, as a POST to
// totp/keys/<name> with "key".
func (s *Server) PutTOTPKey(name, secret string) {
	s.mu.Lock()
	s.totp[name] = secret
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.Method+" "+r.URL.Path]++
	if s.down {
		reply(w, http.StatusServiceUnavailable, map[string]any{"errors": []string{"Vault is sealed"}})
		return
	}
	if r.Header.Get("X-Vault-Token") != s.Token {
		reply(w, http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
		return
	}
	var body map[string]any
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"failed to parse JSON input: " + err.Error()}})
			return
		}
	}
	mount, rest, _ := strings.Cut(path, "/")
	switch {
	case path == "auth/token/lookup-self" && r.Method == http.MethodGet:
		data(w, http.StatusOK, map[string]any{"id": "[redacted]", "policies": []string{"barong"}, "ttl": s.ttl, "renewable": s.ttl > 0})
	case path == "auth/token/renew-self" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		reply(w, http.StatusOK, map[string]any{"auth": map[string]any{"lease_duration": s.ttl, "renewable": s.ttl > 0}})
	case mount == TransitMount:
		s.serveTransit(w, r, rest, body)
	case mount == TOTPMount:
		s.serveTOTP(w, r, rest, body)
	case mount == KVMount:
		s.serveKV(w, r, rest, body)
	default:
		reply(w, http.StatusNotFound, map[string]any{"errors": []string{"no handler for route '" + path + "'"}})
	}
}

func (s *Server) serveTransit(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	op, name, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		reply(w, http.StatusMethodNotAllowed, map[string]any{"errors": []string{"unsupported operation"}})
		return
	}
	switch op {
	case "keys":
		s.key(name)
		w.WriteHeader(http.StatusNoContent)
	case "encrypt":
		pt, err := base64.StdEncoding.DecodeString(str(body["plaintext"]))
		if err != nil {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"failed to base64-decode plaintext"}})
			return
		}
		data(w, http.StatusOK, map[string]any{"ciphertext": s.encrypt(name, pt)})
	case "decrypt":
		if batch, ok := body["batch_input"].([]any); ok {
			results := make([]map[string]any, len(batch))
			failed := false
			for i, item := range batch {
				m, _ := item.(map[string]any)
				p, e := s.decrypt(name, str(m["ciphertext"]))
				if e != "" {
					results[i], failed = map[string]any{"error": e}, true
				} else {
					results[i] = map[string]any{"plaintext": base64.StdEncoding.EncodeToString(p)}
				}
			}
			status := http.StatusOK
			if failed {
				status = http.StatusBadRequest // Vault ≥ 1.13 without partial_failure_response_code
			}
			data(w, status, map[string]any{"batch_results": results})
			return
		}
		p, e := s.decrypt(name, str(body["ciphertext"]))
		if e != "" {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{e}})
			return
		}
		data(w, http.StatusOK, map[string]any{"plaintext": base64.StdEncoding.EncodeToString(p)})
	default:
		reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
	}
}

func (s *Server) serveKV(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	path := rest
	if s.kvV2 {
		var ok bool
		if path, ok = strings.CutPrefix(rest, "data/"); !ok {
			// A version-1 path on a version-2 mount.
			reply(w, http.StatusNotFound, map[string]any{"errors": []string{},
				"warnings": []string{"Invalid path for a versioned K/V secrets engine."}})
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		d, ok := s.kv[path]
		if !ok {
			reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
			return
		}
		if s.kvV2 {
			data(w, http.StatusOK, map[string]any{"data": d, "metadata": map[string]any{"version": 1}})
			return
		}
		data(w, http.StatusOK, d)
	case http.MethodPost, http.MethodPut:
		if s.kvV2 {
			body, _ = body["data"].(map[string]any)
		}
		s.kv[path] = body
		w.WriteHeader(http.StatusNoContent)
	default:
		reply(w, http.StatusMethodNotAllowed, map[string]any{"errors": []string{"unsupported operation"}})
	}
}

func (s *Server) serveTOTP(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	op, name, _ := strings.Cut(rest, "/")
	switch {
	case op == "keys" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		if key := str(body["key"]); key != "" {
			s.totp[name] = key
			w.WriteHeader(http.StatusNoContent)
			return
		}
		k, err := totp.Generate(totp.GenerateOpts{Issuer: str(body["issuer"]), AccountName: str(body["account_name"]), SecretSize: 20})
		if err != nil {
			reply(w, http.StatusInternalServerError, map[string]any{"errors": []string{err.Error()}})
			return
		}
		s.totp[name] = k.Secret()
		data(w, http.StatusOK, map[string]any{"url": k.URL(), "barcode": ""})
	case op == "keys" && r.Method == http.MethodGet:
		if _, ok := s.totp[name]; !ok {
			reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
			return
		}
		data(w, http.StatusOK, map[string]any{"account_name": "", "algorithm": "SHA1", "digits": 6, "period": 30})
	case op == "code" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		code := strings.TrimSpace(str(body["code"]))
		if code == "" {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"the code value is required"}})
			return
		}
		secret, ok := s.totp[name]
		if !ok {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"unknown key: " + name}})
			return
		}
		usedKey := name + "_" + code
		if exp, ok := s.used[usedKey]; ok && time.Now().Before(exp) {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"code already used; wait until the next time period"}})
			return
		}
		valid, _ := totp.ValidateCustom(code, secret, time.Now(), totp.ValidateOpts{Period: 30, Skew: 1,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		s.used[usedKey] = time.Now().Add(90 * time.Second)
		data(w, http.StatusOK, map[string]any{"valid": valid})
	default:
		reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func data(w http.ResponseWriter, status int, d any) {
	reply(w, status, map[string]any{"request_id": "00000000-0000-0000-0000-000000000000", "lease_id": "",
		"renewable": false, "lease_duration": 0, "data": d, "wrap_info": nil, "warnings": nil, "auth": nil})
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
