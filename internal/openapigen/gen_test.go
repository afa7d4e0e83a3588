package openapigen

import (
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
