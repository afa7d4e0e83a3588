// Package vault is a small typed client of the three HashiCorp Vault HTTP
// endpoints barong-go needs to take over a Barong deployment: transit
// decryption (the API-key secrets and any vault-rails attribute Barong
// encrypted), a key/value read (API-key secrets of Barong before 2.5) and
// TOTP code validation (2FA secrets that stay in Vault's TOTP engine until
// their users re-enrol).
//
// It speaks Vault's documented HTTP API: the token travels in
// X-Vault-Token, errors come back as {"errors": [...]}. TLS certificates
// are verified (Barong turned verification off).
package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxBody caps a Vault answer read into memory.
const maxBody = 16 << 20

// ErrNotFound is a path that holds no secret (or a TOTP key that does not
// exist).
var ErrNotFound = errors.New("vault: not found")

// Error is an answer of Vault with an error status.
type Error struct {
	Status int
	Errors []string
}

func (e *Error) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("vault: status %d", e.Status)
	}
	return fmt.Sprintf("vault: status %d: %s", e.Status, strings.Join(e.Errors, "; "))
}

// Client calls one Vault server with one token. It is safe for concurrent
// use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client

	mu   sync.Mutex
	kvV2 map[string]bool // mounts found to be K/V version 2
}

// New returns a client of the Vault at address (http(s)://host:port) that
// authenticates with token.
func New(address, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(address, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vault address %q: want http(s)://host:port", address)
	}
	if token == "" {
		return nil, errors.New("vault: no token")
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: 30 * time.Second}, kvV2: map[string]bool{}}, nil
}

// Address is the server's URL.
func (c *Client) Address() string { return c.base.String() }

// call sends method to /v1/path with body as JSON (nil for none) and
// decodes the "data" of the answer into out (nil to ignore it). A 404 is
// ErrNotFound; other error statuses are *Error, unless out is given and
// the body still carries data (transit batches answer 400 with per-item
// errors in their data).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("vault: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/" + path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	req.Header.Set("X-Vault-Token", c.token)
	req.Header.Set("X-Vault-Request", "true")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("vault: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("vault: read answer of %s: %w", path, err)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []string        `json:"errors"`
	}
	_ = json.Unmarshal(raw, &env)
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if resp.StatusCode >= 300 && (out == nil || len(env.Data) == 0 || string(env.Data) == "null") {
		return &Error{Status: resp.StatusCode, Errors: env.Errors}
	}
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("vault: %s answered without data", path)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("vault: decode answer of %s: %w", path, err)
	}
	return nil
}

// LookupSelf checks that the token is valid (GET auth/token/lookup-self).
func (c *Client) LookupSelf(ctx context.Context) error {
	_, _, err := c.tokenTTL(ctx)
	return err
}

// tokenTTL returns the token's remaining time to live (0: none) and
// whether it can be renewed.
func (c *Client) tokenTTL(ctx context.Context) (time.Duration, bool, error) {
	var data struct {
		TTL       int64 `json:"ttl"`
		Renewable bool  `json:"renewable"`
	}
	if err := c.call(ctx, http.MethodGet, "auth/token/lookup-self", nil, &data); err != nil {
		return 0, false, err
	}
	return time.Duration(data.TTL) * time.Second, data.Renewable, nil
}

// KeepRenewed renews a renewable token with a time to live, as Barong did:
// each time after a random 10 to 20% of its remaining TTL, until ctx ends.
// A token without TTL, or not renewable, is left alone. Failures are
// logged and retried a minute later.
func (c *Client) KeepRenewed(ctx context.Context, log *slog.Logger) {
	retry := time.Minute
	for {
		ttl, renewable, err := c.tokenTTL(ctx)
		wait := retry
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.WarnContext(ctx, "Vault token lookup failed", "error", err)
		case !renewable || ttl <= 0:
			return
		default:
			wait = ttl/10 + time.Duration(rand.Int64N(int64(ttl/10)+1))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err == nil {
			if err := c.call(ctx, http.MethodPost, "auth/token/renew-self", map[string]any{}, nil); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "Vault token renewal failed", "error", err)
			}
		}
	}
}

// Decrypted is one result of TransitDecrypt: the plaintext or why that
// ciphertext could not be decrypted.
type Decrypted struct {
	Plaintext []byte
	Err       error
}

// TransitDecrypt decrypts ciphertexts ("vault:v1:...") with the transit key
// name under mount (Barong's is "transit"), in one batch request. Per-item
// failures are in the results; the error is for the request as a whole.
func (c *Client) TransitDecrypt(ctx context.Context, mount, name string, ciphertexts []string) ([]Decrypted, error) {
	if len(ciphertexts) == 0 {
		return nil, nil
	}
	items := make([]map[string]string, len(ciphertexts))
	for i, ct := range ciphertexts {
		items[i] = map[string]string{"ciphertext": ct}
	}
	var data struct {
		// A list, or (Vault before 0.9.1) that list JSON-encoded in a string.
		Results json.RawMessage `json:"batch_results"`
	}
	path := mount + "/decrypt/" + url.PathEscape(name)
	if err := c.call(ctx, http.MethodPost, path, map[string]any{"batch_input": items}, &data); err != nil {
		return nil, err
	}
	raw := data.Results
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var results []struct {
		Plaintext string `json:"plaintext"`
		Error     string `json:"error"`
	}
	if err := json.Unmarshal(raw, &results); err != nil {
		return nil, fmt.Errorf("vault: decode batch results of %s: %w", path, err)
	}
	if len(results) != len(ciphertexts) {
		return nil, fmt.Errorf("vault: %s answered %d results for %d ciphertexts", path, len(results), len(ciphertexts))
	}
	out := make([]Decrypted, len(results))
	for i, r := range results {
		if r.Error != "" {
			out[i].Err = fmt.Errorf("vault: %s: %s", path, r.Error)
			continue
		}
		p, err := base64.StdEncoding.DecodeString(r.Plaintext)
		if err != nil {
			out[i].Err = fmt.Errorf("vault: %s: plaintext is not base64: %w", path, err)
			continue
		}
		out[i].Plaintext = p
	}
	return out, nil
}

// KVRead reads the secret at path of the key/value mount (Barong's is
// "secret"), version 1 or 2: a mount whose version-1 path is not found is
// tried, and then remembered, as version 2 (mount/data/path). ErrNotFound
// when neither holds it.
func (c *Client) KVRead(ctx context.Context, mount, path string) (map[string]any, error) {
	c.mu.Lock()
	v2 := c.kvV2[mount]
	c.mu.Unlock()
	if !v2 {
		var data map[string]any
		err := c.call(ctx, http.MethodGet, mount+"/"+path, nil, &data)
		if !errors.Is(err, ErrNotFound) {
			return data, err
		}
	}
	var data struct {
		Data map[string]any `json:"data"`
	}
	if err := c.call(ctx, http.MethodGet, mount+"/data/"+path, nil, &data); err != nil {
		return nil, err
	}
	if !v2 {
		c.mu.Lock()
		c.kvV2[mount] = true
		c.mu.Unlock()
	}
	if data.Data == nil {
		return nil, fmt.Errorf("%w: %s/%s (deleted version)", ErrNotFound, mount, path)
	}
	return data.Data, nil
}

// ValidateTOTP asks the TOTP engine at mount (Barong's is "totp") whether
// code is valid for key name. A code already used in its period and a key
// that does not exist are invalid, not errors; an unreachable Vault or a
// refused token is an error.
func (c *Client) ValidateTOTP(ctx context.Context, mount, name, code string) (bool, error) {
	var data struct {
		Valid bool `json:"valid"`
	}
	err := c.call(ctx, http.MethodPost, mount+"/code/"+url.PathEscape(name), map[string]string{"code": code}, &data)
	var ve *Error
	switch {
	case err == nil:
		return data.Valid, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	case errors.As(err, &ve) && ve.Status == http.StatusBadRequest:
		for _, m := range ve.Errors {
			if strings.Contains(m, "code already used") || strings.Contains(m, "unknown key") {
				return false, nil
			}
		}
	}
	return false, err
}
