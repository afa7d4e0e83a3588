package server_test

import (
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

// TestAuditHidesCodes: the seeded AUDIT permissions (POST/PUT/DELETE
// api/v2/ for superadmin, admin, accountant) store every write's
// parameters in an admin activity, resource calls included. A phone's
// verification code, a withdrawal beneficiary's PIN or a JWT must be
// filtered like otp_code and password, also inside nested objects and
// lists.
func TestAuditHidesCodes(t *testing.T) {
	e := admServer(t, nil)
	admRunAuthz(t, e)
	root := e.as["superadmin"]
	root.do(t, "POST", "/api/v2/resource/phones/verify", map[string]any{"phone_number": "+380991234567",
		"verification_code": "s3cr3t1", "pin": "s3cr3t2", "jwt": "s3cr3t3", "email_code": "s3cr3t4",
		"items": []any{map[string]any{"sms_code": "s3cr3t5"}}, "marker": "audit-codes"})
	a := admWaitAudit(t, e, func(x barong.Activity) bool { return strings.Contains(x.Data, "audit-codes") })
	if strings.Contains(a.Data, "s3cr3t") {
		t.Fatalf("audited data shows a code: %s", a.Data)
	}
	if !strings.Contains(a.Data, `"phone_number":"+380991234567"`) {
		t.Fatalf("audited data lost a plain parameter: %s", a.Data)
	}
}

// TestLoginFailedLogHidesPasswordInEmail: a user who types his password
// into the e-mail field (a classic) must not find it in the security log:
// the login_failed line names the e-mail only when it is one.
func TestLoginFailedLogHidesPasswordInEmail(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	c := ts.client()
	const typed = "My-S3cret-Passw0rd!"
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": typed, "password": typed}),
		401, "identity.session.invalid_params")
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "who@example.com", "password": "x"}),
		401, "identity.session.invalid_params")
	if l := ts.logs.lines("security", map[string]any{"event": "login_failed"}); len(l) != 2 {
		t.Fatalf("login_failed lines %v", l)
	}
	if l := ts.logs.lines("security", map[string]any{"event": "login_failed", "email": "who@example.com"}); len(l) != 1 {
		t.Fatalf("an e-mail is no longer logged: %v", l)
	}
	if strings.Contains(ts.logs.text(), typed) {
		t.Fatal("the password typed into the e-mail field reached the log")
	}
}
