package server_test

// The platform's services call the management API with the real client
// library github.com/openware/pkg/mngapi (v0.1.1) and its barong package;
// this test drives barong-go with exactly that client, so a deployment that
// uses it keeps working unchanged.

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/openware/pkg/mngapi"
	mngbarong "github.com/openware/pkg/mngapi/barong"
)

// mngapiKey is the private key in the form mngapi.New takes: standard
// base64 of the PEM.
func mngapiKey() string {
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(mgmtRSA)})
	return base64.StdEncoding.EncodeToString(p)
}

func TestManagementMngapiClient(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	owner := mgmtUser(t, m.testServer, "peatio@example.com", func(u *barong.User) { u.State, u.Level = "active", 3 })
	root := m.URL + "/api/v2/management"
	c, err := mngbarong.New(root, "applogic", "RS256", mngapiKey())
	if err != nil {
		t.Fatal(err)
	}

	sa, apiErr := c.CreateServiceAccount(mngbarong.CreateServiceAccountParams{OwnerUID: owner.UID, Role: "sa_maker"})
	if apiErr != nil {
		t.Fatalf("create service account: %+v", apiErr)
	}
	if !strings.HasPrefix(sa.UID, "SI") || sa.State != "active" || sa.Level != 3 || sa.Role != "sa_maker" ||
		sa.User.UID != owner.UID || sa.User.ReferralUID != "" || sa.CreatedAt == "" {
		t.Fatalf("service account %+v", sa)
	}

	key, apiErr := c.CreateAPIKey(mngbarong.CreateAPIKeyParams{Algorithm: "HS256", UID: sa.UID, Scopes: "trade"})
	if apiErr != nil {
		t.Fatalf("create api key: %+v", apiErr)
	}
	if key.KID == "" || key.Secret == "" || key.State != "active" || key.Algorithm != "HS256" ||
		len(key.Scope) != 1 || key.Scope[0] != "trade" {
		t.Fatalf("api key %+v", key)
	}

	sa, apiErr = c.DeleteServiceAccountByUID(sa.UID)
	if apiErr != nil {
		t.Fatalf("delete service account: %+v", apiErr)
	}
	if sa.State != "disabled" {
		t.Fatalf("deleted %+v", sa)
	}
	if k, err := m.DB.APIKeyByKID(context.Background(), key.KID); err != nil || k.State != "inactive" {
		t.Fatalf("key after delete %+v %v", k, err)
	}

	// The client's error path: Barong's messages land in APIError.
	if _, apiErr = c.DeleteServiceAccountByUID("SI0000000000"); apiErr == nil || apiErr.StatusCode != 404 || apiErr.Error != "Record is not found" {
		t.Fatalf("missing account: %+v", apiErr)
	}
	if _, apiErr = c.CreateAPIKey(mngbarong.CreateAPIKeyParams{Algorithm: "RS256", UID: owner.UID}); apiErr == nil ||
		apiErr.StatusCode != 422 || strings.Join(apiErr.Errors, ",") != "kid.blank,algorithm.inclusion" {
		t.Fatalf("bad algorithm: %+v", apiErr)
	}
	stranger, err := mngapi.New(root, "stranger", "RS256", mngapiKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, apiErr = stranger.Request(http.MethodPost, "service_accounts/list", nil); apiErr == nil ||
		apiErr.StatusCode != 401 || apiErr.Error != "Failed to verify JWT." {
		t.Fatalf("unknown signer: %+v", apiErr)
	}
}
