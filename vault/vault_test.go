package vault_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/vault"
	"github.com/barong-go/barong/vault/vaulttest"
	"github.com/pquerna/otp/totp"
)

func client(t *testing.T, s *vaulttest.Server) *vault.Client {
	t.Helper()
	c, err := vault.New(s.URL, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewChecksAddressAndToken(t *testing.T) {
	for _, addr := range []string{"", "localhost:8200", "ftp://vault", "http://"} {
		if _, err := vault.New(addr, "t"); err == nil {
			t.Errorf("address %q accepted", addr)
		}
	}
	if _, err := vault.New("http://127.0.0.1:8200", ""); err == nil {
		t.Error("empty token accepted")
	}
}

func TestTransitDecryptBatch(t *testing.T) {
	s := vaulttest.New(t)
	c := client(t, s)
	ctx := context.Background()
	a := s.Encrypt("barong_apikeys_secret", []byte("2d0b4979c7fe6986daa8e21d1dc0644f"))
	b := s.Encrypt("barong_apikeys_secret", []byte("Žofie"))
	other := s.Encrypt("another_key", []byte("x"))
	res, err := c.TransitDecrypt(ctx, "transit", "barong_apikeys_secret", []string{a, "vault:v1:AAAA", b, other})
	if err != nil {
		t.Fatal(err)
	}
	if string(res[0].Plaintext) != "2d0b4979c7fe6986daa8e21d1dc0644f" || res[0].Err != nil {
		t.Fatalf("first: %q %v", res[0].Plaintext, res[0].Err)
	}
	if res[1].Err == nil || res[3].Err == nil {
		t.Fatalf("bad ciphertexts decrypted: %+v", res)
	}
	if string(res[2].Plaintext) != "Žofie" {
		t.Fatalf("third: %q %v", res[2].Plaintext, res[2].Err)
	}
	if n := s.Requests("POST /v1/transit/decrypt/barong_apikeys_secret"); n != 1 {
		t.Fatalf("%d requests for one batch", n)
	}
}

// TestTransitDecryptStringResults: Vault before 0.9.1 answered the batch
// results JSON-encoded in a string.
func TestTransitDecryptStringResults(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"batch_results":"[{\"plaintext\":\"aGk=\"},{\"error\":\"invalid ciphertext\"}]"}}`))
	}))
	defer hs.Close()
	c, err := vault.New(hs.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.TransitDecrypt(context.Background(), "transit", "k", []string{"vault:v1:a", "vault:v1:b"})
	if err != nil {
		t.Fatal(err)
	}
	if string(res[0].Plaintext) != "hi" || res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "invalid ciphertext") {
		t.Fatalf("results %+v", res)
	}
}

func TestTokenRefused(t *testing.T) {
	s := vaulttest.New(t)
	c, err := vault.New(s.URL, "wrong")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ve *vault.Error
	if err := c.LookupSelf(ctx); !errors.As(err, &ve) || ve.Status != http.StatusForbidden {
		t.Fatalf("lookup-self with a wrong token: %v", err)
	}
	if _, err := c.TransitDecrypt(ctx, "transit", "k", []string{"vault:v1:x"}); !errors.As(err, &ve) {
		t.Fatalf("decrypt with a wrong token: %v", err)
	}
	if _, err := c.ValidateTOTP(ctx, "totp", "barong_ID1", "123456"); !errors.As(err, &ve) {
		t.Fatalf("totp with a wrong token: %v", err)
	}
	if err := client(t, s).LookupSelf(ctx); err != nil {
		t.Fatalf("lookup-self: %v", err)
	}
}

func TestKVReadVersions(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		s := vaulttest.New(t)
		if v2 {
			s.UseKVv2()
		}
		c := client(t, s)
		ctx := context.Background()
		s.PutKV("barong/api_key/61d025b8573501c2", map[string]any{"value": "2d0b4979c7fe6986daa8e21d1dc0644f"})
		for range 2 {
			d, err := c.KVRead(ctx, "secret", "barong/api_key/61d025b8573501c2")
			if err != nil || d["value"] != "2d0b4979c7fe6986daa8e21d1dc0644f" {
				t.Fatalf("v2=%v: %v %v", v2, d, err)
			}
		}
		if _, err := c.KVRead(ctx, "secret", "barong/api_key/none"); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("v2=%v missing: %v", v2, err)
		}
		if v2 && s.Requests("GET /v1/secret/barong/api_key/61d025b8573501c2") != 1 {
			t.Fatal("the version-1 path is tried again after the mount was found to be version 2")
		}
	}
}

func TestValidateTOTP(t *testing.T) {
	s := vaulttest.New(t)
	c := client(t, s)
	ctx := context.Background()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	s.PutTOTPKey("barong_IDAF1AED1A42", secret)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.ValidateTOTP(ctx, "totp", "barong_IDAF1AED1A42", code); !ok || err != nil {
		t.Fatalf("valid code: %v %v", ok, err)
	}
	if ok, err := c.ValidateTOTP(ctx, "totp", "barong_IDAF1AED1A42", code); ok || err != nil {
		t.Fatalf("reused code: %v %v", ok, err)
	}
	if ok, err := c.ValidateTOTP(ctx, "totp", "barong_IDUNKNOWN01", code); ok || err != nil {
		t.Fatalf("unknown key: %v %v", ok, err)
	}
	if ok, err := c.ValidateTOTP(ctx, "totp", "barong_IDAF1AED1A42", "12"); ok || err != nil {
		t.Fatalf("short code: %v %v", ok, err)
	}
	s.SetDown(true)
	if _, err := c.ValidateTOTP(ctx, "totp", "barong_IDAF1AED1A42", code); err == nil {
		t.Fatal("a sealed Vault answered")
	}
	s.Close()
	if _, err := c.ValidateTOTP(ctx, "totp", "barong_IDAF1AED1A42", code); err == nil {
		t.Fatal("an unreachable Vault answered")
	}
}

func TestKeepRenewed(t *testing.T) {
	s := vaulttest.New(t)
	c := client(t, s)
	log := slog.New(slog.DiscardHandler)
	// No TTL: nothing to renew, KeepRenewed returns at once.
	done := make(chan struct{})
	go func() { c.KeepRenewed(context.Background(), log); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("KeepRenewed kept going for a token without TTL")
	}
	// A renewable token of 1 s is renewed every 100-200 ms.
	s.SetTokenTTL(1)
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { c.KeepRenewed(ctx, log); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for s.Requests("POST /v1/auth/token/renew-self") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if n := s.Requests("POST /v1/auth/token/renew-self"); n < 2 {
		t.Fatalf("%d renewals", n)
	}
}
