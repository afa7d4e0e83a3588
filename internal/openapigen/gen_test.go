package openapigen

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestReferenceKeys(t *testing.T) {
	g := &generator{keyStatus: map[string]int{}}
	ref := "#### 6.2.1 `POST /identity/sessions` — login\n" +
		"Missing email → 422 `identity.session.missing_email`; none → **401**\n   `identity.session.invalid_params`; " +
		"event `system.session.create`, file `config/seeds.yml`.\n" +
		"#### next\n`identity.session.not_here`\n" +
		"| `GET /resource/labels/:key` | 404 `resource.label.doesnt_exist` | `model.label.created` |\n"
	got := g.referenceKeys(ref)
	if k := strings.Join(got["POST identity /sessions"], ","); k != "identity.session.missing_email,identity.session.invalid_params" {
		t.Fatalf("sessions keys %q", k)
	}
	if k := strings.Join(got["GET resource /labels/{}"], ","); k != "resource.label.doesnt_exist" {
		t.Fatalf("labels keys %q", k)
	}
	for key, want := range map[string]int{
		"identity.session.invalid_params": 401, // the reference's status
		"identity.session.missing_email":  400, // Barong's 422 for a missing parameter is 400 here
		"resource.label.doesnt_exist":     404,
		"resource.otp.missing_code":       400,
		"authz.invalid_session":           401,
		"resource.profile.not_exist":      404,
		"key.taken":                       422,
	} {
		if st := g.statusOf(key); st != want {
			t.Errorf("%s: %d, want %d", key, st, want)
		}
	}
}

func TestOperationID(t *testing.T) {
	if id := operationID(Route{Family: "resource", Method: "DELETE", Path: "/api_keys/{kid}"}); id != "deleteResourceApiKeysKid" {
		t.Fatal(id)
	}
}

// TestOwnKeys: barong-go's keys of an endpoint with their status there
// (key@status), and the throttle's 429 with its Retry-After header.
func TestOwnKeys(t *testing.T) {
	b, err := Generate(Input{Routes: []Route{{Family: "identity", Method: "POST", Path: "/sessions"}}, Swagger: [][]byte{[]byte("{}")}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]struct{ Responses map[string]map[string]any }
		Components struct {
			Responses map[string]struct {
				Keys    []string       `json:"x-barong-error-keys"`
				Headers map[string]any `json:"headers"`
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	resp := func(status string) ([]string, map[string]any) {
		ref, _ := doc.Paths["/api/v2/auth/identity/sessions"]["post"].Responses[status]["$ref"].(string)
		c := doc.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]
		return c.Keys, c.Headers
	}
	if keys, _ := resp("403"); !slices.Contains(keys, "identity.session.invalid_passkey") {
		t.Fatalf("403 keys %v", keys)
	}
	if keys, h := resp("429"); !slices.Contains(keys, "identity.session.too_many_attempts") || h["Retry-After"] == nil {
		t.Fatalf("429 keys %v headers %v", keys, h)
	}
	if body := doc.Paths["/api/v2/auth/identity/sessions"]["post"]; body.Responses["422"] == nil {
		t.Fatalf("no 422 (identity.session.invalid_passkey_format): %v", body.Responses)
	}
}
