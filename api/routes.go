package api

import (
	"fmt"
	"net/http"
	"strings"

	barong "github.com/barong-go/barong"
)

// The route table: every endpoint is one row (family, method, literal
// path, guard, summary, handler), and the rest derives from it: the
// mounts (/api/v2/auth/<family>/… and /api/v2/<family>/…), the 405
// answers with Allow (the management family's own on its paths), the
// checks of each guard with the authz permission path
// api/v2/barong/<family>/<rest>, and the OpenAPI document (Routes, read
// by scripts/openapi).

// route is one endpoint.
type route struct {
	// family is identity, public, resource, admin or management; "" for
	// the operations endpoints, whose path is absolute and mounted once.
	family string
	method string
	// path is below the family's mounts, with Go pattern wildcards ({uid}).
	path    string
	guard   guard
	summary string
	// handler is a handlerFunc for guardNone and guardOpen (for
	// guardNone also an http.Handler or a func(w, r)), a callerHandler
	// for guardUser, guardUserUID and adminAbility, an mgmtHandler for
	// mgmtScope; New panics on another pairing. A nil handler (an
	// optional endpoint left unconfigured) is not mounted.
	handler any
}

// authKind is how a route's caller is checked.
type authKind uint8

const (
	authNone         authKind = iota // nothing (operations endpoints)
	authRestrictions                 // authz step 1 only (api/restrict.go)
	authCaller                       // the whole authz decision (api/auth.go)
	authCallerUID                    // authCaller; the handler uses only the caller's UID
	authSigned                       // management JWS multisig (api/management.go)
)

// guard is what a route asks of its caller.
type guard struct {
	auth authKind
	// action and model are the admin ability of abilities.yml the
	// caller's role must have.
	action, model string
	// scope is the management_api.yml scope whose signers must sign.
	scope string
}

var (
	// guardNone checks nothing.
	guardNone = guard{auth: authNone}
	// guardOpen applies the restrictions (maintenance, blacklists,
	// blocklogin) of the route's permission path, as behind a gateway;
	// no authentication.
	guardOpen = guard{auth: authRestrictions}
	// guardUser authenticates a session cookie (with its CSRF token on
	// other methods than GET), a signed API key or a bearer JWT issued by
	// authz; cookie and API-key callers pass the permission table on the
	// route's permission path.
	guardUser = guard{auth: authCaller}
	// guardUserUID is guardUser for handlers that use only the caller's
	// UID: the decision may come from the claims authz keeps in memory,
	// and a bearer JWT's user is not read.
	guardUserUID = guard{auth: authCallerUID}
)

// adminAbility is guardUser plus an ability of the caller's role: without
// it, 401 admin.ability.not_permitted.
func adminAbility(action, model string) guard {
	return guard{auth: authCaller, action: action, model: model}
}

// mgmtScope is a management body signed by the scope's signers.
func mgmtScope(scope string) guard { return guard{auth: authSigned, scope: scope} }

// routeTable lists every endpoint; the families' routes in the order of
// Routes.
func (s *Server) routeTable(m *management) []route {
	return []route{
		// identity (reference §6.1, §6.2): restrictions only
		{"identity", "GET", "/ping", guardOpen, "Test connectivity", s.handlePing},
		{"identity", "GET", "/time", guardOpen, "Server time", s.handleTime},
		{"identity", "GET", "/version", guardOpen, "Server version", s.handleVersion},
		{"identity", "GET", "/configs", guardOpen, "Public configuration", s.handleConfigs},
		{"identity", "POST", "/password/validate", guardOpen, "Password strength", s.handlePasswordValidate("identity")},
		{"identity", "POST", "/sessions", guardOpen, "Start a new session", s.handleLogin},
		{"identity", "DELETE", "/sessions", guardOpen, "Destroy the current session", s.handleLogout},
		{"identity", "POST", "/sessions/auth0", guardOpen, "Start a session with an Auth0 ID token", s.handleAuth0},
		{"identity", "POST", "/sessions/webauthn/options", guardOpen, "Start a passkey sign-in: request options for a discoverable credential (errors: identity.session.too_many_attempts)", s.handlePasskeyLoginOptions},
		{"identity", "POST", "/sessions/webauthn", guardOpen, "Sign in with a passkey alone: credential (errors: identity.session.missing_credential, invalid_passkey_format, invalid_passkey, passkey_challenge_expired, passkey_cloned, banned, deleted, not_active, too_many_attempts)", s.handlePasskeyLogin},
		{"identity", "POST", "/users", guardOpen, "Create a user", s.handleSignUp},
		{"identity", "POST", "/users/access", guardOpen, "Whitelist the caller's IP with a whitelink token", s.handleAccess},
		{"identity", "GET", "/users/register_geetest", guardOpen, "Register a GeeTest captcha", s.handleGeetest},
		{"identity", "POST", "/users/email/generate_code", guardOpen, "Send the e-mail confirmation", s.handleEmailCode},
		{"identity", "POST", "/users/email/confirm_code", guardOpen, "Confirm the e-mail", s.handleEmailConfirm},
		{"identity", "POST", "/users/password/generate_code", guardOpen, "Send password reset instructions", s.handlePasswordCode},
		{"identity", "POST", "/users/password/confirm_code", guardOpen, "Set a new password", s.handlePasswordConfirm},

		// public (reference §6.1)
		{"public", "GET", "/ping", guardOpen, "Test connectivity", s.handlePing},
		{"public", "GET", "/time", guardOpen, "Server time", s.handleTime},
		{"public", "GET", "/version", guardOpen, "Server version", s.handleVersion},
		{"public", "GET", "/configs", guardOpen, "Public configuration", s.handleConfigs},
		{"public", "POST", "/password/validate", guardOpen, "Password strength", s.handlePasswordValidate("public")},
		{"public", "GET", "/configs/auth0", guardOpen, "Auth0 configuration", s.handleAuth0Configs},
		{"public", "POST", "/kyc", guardOpen, "KYC provider callback", s.handleKYCCallback},
		{"public", "GET", "/swagger", guardOpen, "OpenAPI description of every family", s.handleOpenAPI},

		// resource (reference §6.3): the signed-in user's own records
		{"resource", "GET", "/users/me", guardUserUID, "The current user", s.handleMe},
		{"resource", "PUT", "/users/me", guardUser, "Update the current user's data (JSON)", s.handleUpdateMe},
		{"resource", "DELETE", "/users/me", guardUser, "Delete the current account (password, otp_code with 2FA)", s.handleDeleteMe},
		{"resource", "PUT", "/users/password", guardUser, "Change the password; other sessions are revoked", s.handleChangePassword},
		{"resource", "GET", "/users/activity/{topic}", guardUser, "The current user's activities (all, session, otp, password, account); paginated", s.handleActivity},
		{"resource", "GET", "/labels", guardUser, "List the current user's labels (ordering asc|desc)", s.handleListLabels},
		{"resource", "GET", "/labels/{key}", guardUser, "Return a label by key", s.handleGetLabel},
		{"resource", "POST", "/labels", guardUser, "Create a public label", s.handleCreateLabel},
		{"resource", "PATCH", "/labels/{key}", guardUser, "Update a public label", s.handleUpdateLabel},
		{"resource", "DELETE", "/labels/{key}", guardUser, "Delete a public label", s.handleDeleteLabel},
		{"resource", "GET", "/profiles/me", guardUser, "The current user's profiles", s.handleMyProfiles},
		{"resource", "POST", "/profiles", guardUser, "Create a profile (confirm=true submits it)", s.handleCreateProfile},
		{"resource", "PUT", "/profiles", guardUser, "Update the drafted profile (confirm=true submits it)", s.handleUpdateProfile},
		{"resource", "GET", "/phones", guardUser, "List the current user's phones", s.handlePhones},
		{"resource", "POST", "/phones", guardUser, "Add a phone and send it a verification code", s.handlePhoneCreate},
		{"resource", "POST", "/phones/send_code", guardUser, "Send the phone's verification code again", s.handlePhoneSendCode},
		{"resource", "POST", "/phones/verify", guardUser, "Verify a phone with its code", s.handlePhoneVerify},
		{"resource", "GET", "/documents", guardUser, "List the current user's documents", s.handleDocuments},
		{"resource", "POST", "/documents", guardUser, "Upload KYC documents (multipart upload[] or upload)", s.handleDocumentCreate},
		{"resource", "POST", "/addresses", guardUser, "Upload proof-of-address documents (multipart upload[] or upload)", s.handleAddressCreate},
		{"resource", "POST", "/otp/generate_qrcode", guardUser, "Generate a QR code for 2FA", s.handleOTPQRCode},
		{"resource", "POST", "/otp/enable", guardUser, "Enable 2FA", s.handleOTPEnable},
		{"resource", "POST", "/otp/disable", guardUser, "Disable 2FA", s.handleOTPDisable},
		{"resource", "POST", "/otp/verify", guardUser, "Verify a 2FA code", s.handleOTPVerify},
		{"resource", "GET", "/api_keys", guardUser, "List the API keys of the current user", s.handleAPIKeys},
		{"resource", "POST", "/api_keys", guardUser, "Create an API key", s.handleCreateAPIKey},
		{"resource", "PATCH", "/api_keys/{kid}", guardUser, "Update an API key", s.handleUpdateAPIKey},
		{"resource", "DELETE", "/api_keys/{kid}", guardUser, "Delete an API key", s.handleDeleteAPIKey},
		{"resource", "POST", "/data_storage", guardUser, "Store JSON data under a configured title", s.handleCreateDataStorage},
		{"resource", "GET", "/service_accounts", guardUser, "List the service accounts of the current user", s.handleServiceAccounts},
		{"resource", "GET", "/service_accounts/api_keys", guardUser, "List the API keys of a service account", s.handleSAKeys},
		{"resource", "POST", "/service_accounts/api_keys", guardUser, "Create an API key for a service account", s.handleCreateSAKey},
		{"resource", "PUT", "/service_accounts/api_keys/{kid}", guardUser, "Update an API key of a service account", s.handleUpdateSAKey},
		{"resource", "DELETE", "/service_accounts/api_keys/{kid}", guardUser, "Delete an API key of a service account", s.handleDeleteSAKey},
		{"resource", "GET", "/sessions", guardUser, "List the current user's live sessions (id is a hash of the session id); paginated", s.handleSessions},
		{"resource", "DELETE", "/sessions/{id}", guardUser, "Revoke one of the current user's sessions (errors: resource.session.not_found)", s.handleRevokeSession},
		{"resource", "DELETE", "/sessions", guardUser, "Revoke every session of the current user but the current one", s.handleRevokeOtherSessions},
		{"resource", "POST", "/webauthn/credentials/options", guardUser, "Start registering a passkey: creation options; otp_code when 2FA is on, else password (errors: resource.webauthn.missing_otp_code, invalid_otp, missing_password, invalid_password, limit_reached)", s.handlePasskeyRegistrationOptions},
		{"resource", "POST", "/webauthn/credentials", guardUser, "Register a passkey: credential (the PublicKeyCredential) and name (errors: resource.webauthn.missing_credential, invalid_credential_format, challenge_expired, invalid_credential, already_registered, limit_reached, name_too_long)", s.handleRegisterPasskey},
		{"resource", "GET", "/webauthn/credentials", guardUser, "List the current user's passkeys", s.handlePasskeys},
		{"resource", "PATCH", "/webauthn/credentials/{id}", guardUser, "Rename a passkey (errors: resource.webauthn.not_found, missing_name, name_too_long)", s.handleRenamePasskey},
		{"resource", "DELETE", "/webauthn/credentials/{id}", guardUser, "Delete a passkey (errors: resource.webauthn.not_found)", s.handleDeletePasskey},

		// admin (reference §8.1): every route checks an ability, also those
		// Barong left without one (reference §12.4 item 12)
		{"admin", "GET", "/users", adminAbility(actRead, modelUser), "List users (filters, ordering, extended with profiles); paginated", s.handleAdminUsers},
		{"admin", "GET", "/users/{uid}", adminAbility(actRead, modelUser), "A user with every KYC record", s.handleAdminUser},
		{"admin", "POST", "/users/update", adminAbility(actUpdate, modelUser), "Change a user's state or disable his 2FA", s.handleAdminUpdateUser("state", "otp")},
		{"admin", "PUT", "/users", adminAbility(actUpdate, modelUser), "Change a user's state, e-mail or disable his 2FA", s.handleAdminUpdateUser("state", "otp", "email")},
		{"admin", "POST", "/users/role", adminAbility(actUpdate, modelUser), "Change a user's role", s.handleAdminRole},
		{"admin", "GET", "/users/documents/pending", adminAbility(actRead, modelUser), "Users with pending or replaced documents, oldest first; paginated", s.handleAdminPending},
		{"admin", "DELETE", "/users/data_storage", adminAbility(actDestroy, modelUser), "Delete a user's data storage and its label", s.handleAdminDeleteStorage},
		{"admin", "GET", "/api_keys", adminAbility(actRead, modelAPIKey), "List a user's API keys; paginated", s.handleAdminAPIKeys},
		{"admin", "GET", "/users/labels/list", adminAbility(actRead, modelUser), "Count private labels by key and value", s.handleAdminLabelCounts},
		{"admin", "GET", "/users/labels", adminAbility(actRead, modelUser), "Users with a label key and value; paginated", s.handleAdminUsersByLabel},
		{"admin", "POST", "/users/labels", adminAbility(actCreate, modelLabel), "Add a label to a user", s.handleAdminCreateLabel},
		{"admin", "POST", "/users/labels/update", adminAbility(actUpdate, modelLabel), "Update (or with replace, create) a user's label", s.handleAdminUpdateLabel(true)},
		{"admin", "PUT", "/users/labels", adminAbility(actUpdate, modelLabel), "Update a user's label", s.handleAdminUpdateLabel(false)},
		{"admin", "DELETE", "/users/labels", adminAbility(actDestroy, modelLabel), "Delete a user's label", s.handleAdminDeleteLabel},
		// Barong checks no ability on comments; barong-go requires update User.
		{"admin", "POST", "/users/comments", adminAbility(actUpdate, modelUser), "Add a comment on a user", s.handleAdminCreateComment},
		{"admin", "PUT", "/users/comments", adminAbility(actUpdate, modelUser), "Edit a comment; only its author may (errors: admin.comments.not_author)", s.handleAdminUpdateComment},
		{"admin", "DELETE", "/users/comments", adminAbility(actUpdate, modelUser), "Delete a comment; another admin's only with abilities covering his role (errors: admin.comments.not_author)", s.handleAdminDeleteComment},
		{"admin", "GET", "/permissions", adminAbility(actRead, modelPermission), "List permissions; paginated", s.handleAdminPermissions},
		{"admin", "POST", "/permissions", adminAbility(actCreate, modelPermission), "Create a permission", s.handleAdminCreatePermission},
		{"admin", "PUT", "/permissions", adminAbility(actUpdate, modelPermission), "Update a permission", s.handleAdminUpdatePermission},
		{"admin", "DELETE", "/permissions", adminAbility(actDestroy, modelPermission), "Delete a permission", s.handleAdminDeletePermission},
		{"admin", "GET", "/restrictions", adminAbility(actRead, modelRestriction), "List restrictions (scope, category, range, from, to); paginated", s.handleAdminRestrictions},
		{"admin", "POST", "/restrictions", adminAbility(actCreate, modelRestriction), "Create a restriction", s.handleAdminCreateRestriction},
		{"admin", "PUT", "/restrictions", adminAbility(actUpdate, modelRestriction), "Update a restriction", s.handleAdminUpdateRestriction},
		{"admin", "DELETE", "/restrictions", adminAbility(actDestroy, modelRestriction), "Delete a restriction", s.handleAdminDeleteRestriction},
		{"admin", "POST", "/restrictions/whitelink", adminAbility(actCreate, modelRestriction), "Create a one-time whitelink token", s.handleAdminWhitelink},
		{"admin", "GET", "/levels", adminAbility(actRead, modelLevel), "List levels", s.handleAdminLevels},
		// Barong checks no ability here; barong-go requires read Ability,
		// which every admin role has.
		{"admin", "GET", "/abilities", adminAbility(actRead, modelAbility), "The current role's admin abilities", s.handleAbilities},
		{"admin", "GET", "/profiles", adminAbility(actRead, modelProfile), "List every profile; paginated", s.handleAdminProfiles},
		// Barong checks no ability on creation; barong-go requires create Profile.
		{"admin", "POST", "/profiles", adminAbility(actCreate, modelProfile), "Create a submitted profile for a user", s.handleAdminCreateProfile},
		{"admin", "PUT", "/profiles", adminAbility(actUpdate, modelProfile), "Set the state of a user's submitted profile", s.handleAdminVerifyProfile},
		{"admin", "GET", "/activities", adminAbility(actRead, modelActivity), "User activities with their users; paginated", s.handleAdminActivities(barong.CategoryUser)},
		{"admin", "GET", "/activities/admin", adminAbility(actRead, modelActivity), "Admin activities with actor and target; paginated", s.handleAdminActivities(barong.CategoryAdmin)},
		{"admin", "GET", "/metrics", adminAbility(actRead, modelUser), "Sign-ups, logins and pending documents per day", s.handleAdminMetrics},
		{"admin", "GET", "/users/sessions", adminAbility(actRead, modelSession), "List a user's live sessions; paginated (errors: admin.user.doesnt_exist)", s.handleAdminSessions},
		{"admin", "DELETE", "/users/sessions", adminAbility(actDestroy, modelSession), "Revoke a user's session id, or all his sessions without id (errors: admin.user.doesnt_exist, admin.session.not_found, admin.user.superadmin_change)", s.handleAdminRevokeSessions},

		// management (reference §8.2, §8.3): a JWS multisig body signed by the
		// scope's signers
		{"management", "POST", "/timestamp", mgmtScope("tools"), "Server time in seconds since the Unix epoch", m.timestamp},
		{"management", "POST", "/users/get", mgmtScope("read_users"), "A user with KYC records by uid, email or phone_num", m.getUser},
		{"management", "POST", "/users/list", mgmtScope("read_users"), "List users", m.listUsers},
		{"management", "POST", "/users", mgmtScope("write_users"), "Create a user", m.createUser},
		{"management", "POST", "/users/update", mgmtScope("write_users"), "Update a user's role or data", m.updateUser},
		{"management", "POST", "/users/import", mgmtScope("write_users"), "Import a user with a bcrypt password digest", m.importUser},
		{"management", "POST", "/profiles", mgmtScope("write_users"), "Create a profile for a user", m.createProfile},
		{"management", "POST", "/phones/get", mgmtScope("read_phones"), "A user's phones", m.phones},
		{"management", "POST", "/phones", mgmtScope("write_phones"), "Add a validated phone to a user", m.addPhone},
		{"management", "POST", "/phones/delete", mgmtScope("write_phones"), "Delete a user's phone", m.deletePhone},
		{"management", "POST", "/labels/filter/users", mgmtScope("read_users"), "Users having a label", m.labeledUsers},
		{"management", "POST", "/labels/list", mgmtScope("read_labels"), "A user's labels", m.labels},
		{"management", "POST", "/labels", mgmtScope("write_labels"), "Create a private label", m.createLabel},
		{"management", "PUT", "/labels", mgmtScope("write_labels"), "Update (or create) a private label", m.updateLabel},
		{"management", "POST", "/labels/delete", mgmtScope("write_labels"), "Delete a private label", m.deleteLabel},
		{"management", "POST", "/otp/sign", mgmtScope("otp_sign"), "Sign a JWS as barong after checking the user's TOTP code", m.signOTP},
		{"management", "POST", "/documents", mgmtScope("write_documents"), "Upload a base64 document for a user", m.createDocument},
		{"management", "POST", "/service_accounts/get", mgmtScope("read_service_accounts"), "A service account by uid or email", m.getServiceAccount},
		{"management", "POST", "/service_accounts/list", mgmtScope("read_service_accounts"), "List service accounts", m.listServiceAccounts},
		{"management", "POST", "/service_accounts/create", mgmtScope("write_service_accounts"), "Create a service account", m.createServiceAccount},
		{"management", "POST", "/service_accounts/update", mgmtScope("write_service_accounts"), "Change a service account's owner", m.updateServiceAccount},
		{"management", "POST", "/service_accounts/delete", mgmtScope("write_service_accounts"), "Disable a service account", m.deleteServiceAccount},
		{"management", "POST", "/api_keys", mgmtScope("write_apikeys"), "Create an API key for a user or service account", m.createAPIKey},
		{"management", "POST", "/api_keys/update", mgmtScope("write_apikeys"), "Update an API key", m.updateAPIKey},
		{"management", "POST", "/sessions/list", mgmtScope("read_users"), "A user's live sessions", m.mgmtSessions},
		{"management", "POST", "/sessions/delete", mgmtScope("write_users"), "Revoke a user's session id, or all his sessions without id (errors: user.doesnt_exist, management.session.doesnt_exist)", m.mgmtRevokeSessions},

		// operations
		{"", "GET", "/.well-known/jwks.json", guardNone, "The public keys of the JWTs", s.handleJWKS},
		{"", "GET", "/healthz", guardNone, "Liveness", s.handleHealthz},
		{"", "GET", "/readyz", guardNone, "Readiness of the database, Redis and RabbitMQ", s.handleReadyz},
		{"", "GET", "/metrics", guardNone, "Prometheus metrics", s.metrics},
		// Signed links of local uploads meet the restrictions of the
		// public family (a blacklisted address downloads nothing).
		{"", "GET", "/uploads/", guardOpen, "Local document storage's signed links", s.uploads},
		// Barong serves its management swagger unauthenticated.
		{"", "GET", "/api/v2/auth/management/swagger", guardNone, "This OpenAPI document", s.handleOpenAPI},
		{"", "GET", "/api/v2/management/swagger", guardNone, "This OpenAPI document", s.handleOpenAPI},
	}
}

// apiFamilies are the API families, served at /api/v2/auth/<family>/ and
// /api/v2/<family>/; anything else under /api/v2/auth/ is the gateway check.
var apiFamilies = []string{"identity", "public", "resource", "admin", "management"}

// Route is one endpoint of a family: Path is below /api/v2/auth/<Family>
// (and /api/v2/<Family>), with Go pattern wildcards ({uid}). Ability is
// the admin ability its guard asks ("update User"), Scope the management
// scope ("write_users").
type Route struct {
	Family, Method, Path, Summary string
	Ability, Scope                string
}

// Routes lists the endpoints of every family in the table's order (the
// OpenAPI document's generator and its test read it).
func (s *Server) Routes() []Route {
	var out []Route
	for _, rt := range s.routes {
		if rt.family != "" {
			r := Route{Family: rt.family, Method: rt.method, Path: rt.path, Summary: rt.summary, Scope: rt.guard.scope}
			if rt.guard.action != "" {
				r.Ability = rt.guard.action + " " + rt.guard.model
			}
			out = append(out, r)
		}
	}
	return out
}

// mount registers the routes: a family's at both mounts, the management
// family's paths each with one dispatcher over its methods, the
// operations' once; then the answers of unmatched requests.
func (s *Server) mount(m *management) {
	mgmt := map[string][]mgmtRoute{}
	var mgmtPaths []string
	for _, rt := range s.routes {
		if rt.handler == nil {
			continue
		}
		if rt.guard.auth == authSigned {
			h := signedHandler(rt.handler)
			if h == nil {
				panic(rt.mismatch())
			}
			if _, seen := mgmt[rt.path]; !seen {
				mgmtPaths = append(mgmtPaths, rt.path)
			}
			mgmt[rt.path] = append(mgmt[rt.path], mgmtRoute{method: rt.method, scope: rt.guard.scope, h: h})
			continue
		}
		if rt.family == "" {
			s.mux.HandleFunc(rt.method+" "+rt.path, s.wrap(s.guarded(rt, permissionPath("public"))))
			continue
		}
		h := s.wrap(s.guarded(rt, permissionPath(rt.family)))
		if strings.Contains(rt.path, "{") {
			h = s.storablePath(h)
		}
		s.mux.HandleFunc(rt.method+" /api/v2/auth/"+rt.family+rt.path, h)
		s.mux.HandleFunc(rt.method+" /api/v2/"+rt.family+rt.path, h)
	}
	// Every method reaches a management path, so that other verbs get
	// Barong's 405 answer (management.dispatch).
	for _, p := range mgmtPaths {
		h := m.dispatch(mgmt[p])
		s.mux.HandleFunc("/api/v2/auth/management"+p, h)
		s.mux.HandleFunc("/api/v2/management"+p, h)
	}
	s.mux.HandleFunc("/", s.unmatched)
	for _, fam := range apiFamilies {
		s.mux.HandleFunc("/api/v2/auth/"+fam+"/", s.unmatched)
		s.mux.HandleFunc("/api/v2/"+fam+"/", s.unmatched)
	}
}

// guarded is rt's handler behind its guard; pp is the permission path of
// the route's requests.
func (s *Server) guarded(rt route, pp permPath) handlerFunc {
	switch rt.guard.auth {
	case authNone:
		if h := plainHandler(rt.handler); h != nil {
			return h
		}
	case authRestrictions:
		if h := plainHandler(rt.handler); h != nil {
			return s.restricted(pp, h)
		}
	case authCaller, authCallerUID:
		var h callerHandler
		switch f := rt.handler.(type) {
		case callerHandler:
			h = f
		case func(http.ResponseWriter, *http.Request, *caller) error:
			h = f
		default:
			panic(rt.mismatch())
		}
		if rt.guard.action != "" {
			h = s.withAbility(rt.guard.action, rt.guard.model, h)
		}
		return s.authenticatedAs(pp, rt.guard.auth == authCallerUID, h)
	}
	panic(rt.mismatch())
}

// plainHandler is h as a handlerFunc, nil when h is no handler without a
// caller.
func plainHandler(h any) handlerFunc {
	switch f := h.(type) {
	case handlerFunc:
		return f
	case func(http.ResponseWriter, *http.Request) error:
		return f
	case func(http.ResponseWriter, *http.Request):
		return func(w http.ResponseWriter, r *http.Request) error { f(w, r); return nil }
	case http.Handler:
		return func(w http.ResponseWriter, r *http.Request) error { f.ServeHTTP(w, r); return nil }
	}
	return nil
}

// signedHandler is h as an mgmtHandler, nil when it is none.
func signedHandler(h any) mgmtHandler {
	switch f := h.(type) {
	case mgmtHandler:
		return f
	case func(http.ResponseWriter, *http.Request, *params) error:
		return f
	}
	return nil
}

func (rt route) mismatch() string {
	return fmt.Sprintf("api: route %s %s%s: handler %T does not fit its guard", rt.method, rt.family, rt.path, rt.handler)
}

// permPath gives the authz permission path of a family's requests:
// api/v2/barong/<family>/<rest> for /api/v2/auth/<family>/<rest> and
// /api/v2/<family>/<rest> (interface §4), as a gateway checks them.
type permPath struct{ long, short, base string }

func permissionPath(family string) permPath {
	return permPath{long: "/api/v2/auth/" + family + "/", short: "/api/v2/" + family + "/", base: "api/v2/barong/" + family + "/"}
}

// of is the permission path of a request to urlPath (the family's root
// for a path at neither mount, such as /uploads/…).
func (pp permPath) of(urlPath string) string {
	rest, ok := strings.CutPrefix(urlPath, pp.long)
	if !ok {
		rest, ok = strings.CutPrefix(urlPath, pp.short)
	}
	if !ok {
		rest = ""
	}
	return pp.base + rest
}

// familyAuthzPath is the permission path of a request to family at either
// mount: /api/v2/auth/identity/sessions and /api/v2/identity/sessions both
// give api/v2/barong/identity/sessions.
func familyAuthzPath(family, urlPath string) string { return permissionPath(family).of(urlPath) }

// errMethodNotAllowed answers a path served for other methods.
var errMethodNotAllowed = barong.WithStatus(http.StatusMethodNotAllowed, "request.method_not_allowed")

// unmatched answers a request no route took: 405 with Allow when the
// path is served for other methods (204 with Allow for OPTIONS), else
// Barong's 404 "Route is not found".
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	allow := s.allowed(r)
	if len(allow) == 0 {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeError(w, r, errMethodNotAllowed)
}

// allowed lists the methods whose routes serve r's path: the mux built
// from the table is asked for each method.
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); strings.HasPrefix(pattern, m+" ") || m == http.MethodHead && strings.HasPrefix(pattern, "GET ") {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		out = append(out, http.MethodOptions)
	}
	return out
}

// storablePath refuses, with 400 request.invalid_path, a request whose
// decoded path (and so a path parameter: a uid, label key, kid) is not
// valid UTF-8 or holds a NUL: no record can be named so, and PostgreSQL
// refuses to even compare such text.
func (s *Server) storablePath(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !storableText(r.URL.Path) {
			s.writeError(w, r, barong.BadRequest("request.invalid_path"))
			return
		}
		h(w, r)
	}
}
