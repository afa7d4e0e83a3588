package server_test

// The real client library github.com/openware/pkg/mngapi (and its barong
// package) cannot be fetched here: `go get github.com/openware/pkg/mngapi`
// answers "reading https://proxy.golang.org/github.com/openware/pkg/mngapi/@v/list:
// 403 Forbidden — This module version is not available." This file
// reproduces what that client puts on the wire, so that a deployment
// driving barong-go with it keeps working: a JWT built by a jwt-go signer
// (header {"alg":"RS256","typ":"JWT"}, claims data/iat/exp/iss/jti with a
// 16-character alphanumeric jti, iss = kid), split into the general
// serialization {"payload","signatures":[{"protected","header":{"kid"},
// "signature"}]}, POSTed as exactly application/json with Accept, the
// answer decoded into the client's response types, and any status other
// than 200 or 201 read as its APIError.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/golang-jwt/jwt/v5"
)

// mngapiClient is the request half of mngapi.Client.
type mngapiClient struct {
	root, issuer string
	key          *rsa.PrivateKey
}

// mngapiError is mngapi.APIError.
type mngapiError struct {
	StatusCode int      `json:"code"`
	Error      string   `json:"error,omitempty"`
	Errors     []string `json:"errors,omitempty"`
}

// mngapiUser, mngapiServiceAccount and mngapiAPIKey are the response types
// of the mngapi/barong package.
type mngapiUser struct {
	Email       string `json:"email"`
	UID         string `json:"uid"`
	Role        string `json:"role"`
	Level       uint64 `json:"level"`
	OTP         bool   `json:"otp"`
	State       string `json:"state"`
	ReferralUID string `json:"referral_uid"`
	Data        string `json:"data"`
}

type mngapiServiceAccount struct {
	Email     string     `json:"email"`
	UID       string     `json:"uid"`
	Role      string     `json:"role"`
	Level     uint64     `json:"level"`
	State     string     `json:"state"`
	User      mngapiUser `json:"user"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
}

type mngapiAPIKey struct {
	KID       string   `json:"kid"`
	Algorithm string   `json:"algorithm"`
	Scope     []string `json:"scope"`
	State     string   `json:"state"`
	Secret    string   `json:"secret"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

func mngapiJTI(t *testing.T) string {
	const alphaNum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 16)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphaNum))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphaNum[n.Int64()]
	}
	return string(b)
}

// request is mngapi.Client.Request: it answers the body, or the APIError.
func (c *mngapiClient) request(t *testing.T, method, p string, params any) ([]byte, *mngapiError) {
	t.Helper()
	var data map[string]any
	raw, _ := json.Marshal(params)
	_ = json.Unmarshal(raw, &data)
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"data": data, "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "iss": c.issuer, "jti": mngapiJTI(t)})
	sstr, err := tok.SigningString()
	if err != nil {
		t.Fatal(err)
	}
	hp := strings.Split(sstr, ".")
	sig, err := tok.Method.Sign(sstr, c.key)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"payload": hp[1], "signatures": []map[string]any{{
		"protected": hp[0], "header": map[string]string{"kid": c.issuer}, "signature": base64.RawURLEncoding.EncodeToString(sig)}}})
	u, _ := url.Parse(c.root)
	u.Path = path.Join(u.Path, p)
	req, _ := http.NewRequest(method, u.String(), bytes.NewReader(body))
	req.Header.Add("Accept", "application/json")
	req.Header.Add("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, &mngapiError{StatusCode: 500, Error: err.Error()}
	}
	defer res.Body.Close()
	resBody, _ := io.ReadAll(res.Body)
	if !(res.StatusCode == 200 || res.StatusCode == 201) {
		apiErr := &mngapiError{StatusCode: res.StatusCode, Error: res.Status}
		_ = json.Unmarshal(resBody, apiErr)
		return nil, apiErr
	}
	return resBody, nil
}

func TestManagementMngapiClient(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	owner := mgmtUser(t, m.testServer, "peatio@example.com", func(u *barong.User) { u.State, u.Level = "active", 3 })
	c := &mngapiClient{root: m.URL + "/api/v2/management", issuer: "applogic", key: mgmtRSA}

	// barong.CreateServiceAccount with CreateServiceAccountParams
	// (owner_uid and role always sent, the rest omitempty).
	res, apiErr := c.request(t, "POST", "service_accounts/create", map[string]any{"owner_uid": owner.UID, "service_account_role": "sa_maker"})
	if apiErr != nil {
		t.Fatalf("create service account: %+v", apiErr)
	}
	var sa mngapiServiceAccount
	if err := json.Unmarshal(res, &sa); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sa.UID, "SI") || sa.State != "active" || sa.Level != 3 || sa.User.UID != owner.UID || sa.User.ReferralUID != "" {
		t.Fatalf("service account %+v", sa)
	}

	// CreateAPIKeyParams: algorithm, uid, scopes.
	res, apiErr = c.request(t, "POST", "api_keys", map[string]any{"algorithm": "HS256", "uid": sa.UID, "scopes": "trade"})
	if apiErr != nil {
		t.Fatalf("create api key: %+v", apiErr)
	}
	var key mngapiAPIKey
	if err := json.Unmarshal(res, &key); err != nil {
		t.Fatal(err)
	}
	if key.KID == "" || key.Secret == "" || key.State != "active" || len(key.Scope) != 1 || key.Scope[0] != "trade" {
		t.Fatalf("api key %+v", key)
	}

	// DeleteServiceAccountByUID.
	res, apiErr = c.request(t, "POST", "service_accounts/delete", map[string]any{"uid": sa.UID})
	if apiErr != nil {
		t.Fatalf("delete service account: %+v", apiErr)
	}
	if err := json.Unmarshal(res, &sa); err != nil || sa.State != "disabled" {
		t.Fatalf("deleted %+v %v", sa, err)
	}
	if k, err := m.DB.APIKeyByKID(context.Background(), key.KID); err != nil || k.State != "inactive" {
		t.Fatalf("key after delete %+v %v", k, err)
	}

	// The client's error path: Barong's messages land in APIError.
	_, apiErr = c.request(t, "POST", "service_accounts/delete", map[string]any{"uid": "SI0000000000"})
	if apiErr == nil || apiErr.StatusCode != 404 || apiErr.Error != "Record is not found" {
		t.Fatalf("missing account: %+v", apiErr)
	}
	_, apiErr = c.request(t, "POST", "api_keys", map[string]any{"algorithm": "RS256", "uid": owner.UID})
	if apiErr == nil || apiErr.StatusCode != 422 || strings.Join(apiErr.Errors, ",") != "kid.blank,algorithm.inclusion" {
		t.Fatalf("bad algorithm: %+v", apiErr)
	}
	c.issuer = "stranger"
	if _, apiErr = c.request(t, "POST", "service_accounts/list", nil); apiErr == nil || apiErr.StatusCode != 401 || apiErr.Error != "Failed to verify JWT." {
		t.Fatalf("unknown signer: %+v", apiErr)
	}
}
