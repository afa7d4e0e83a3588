// Package extauthz puts barong's authz decision (package authz) behind the
// gateway protocols that cannot call GET/POST /api/v2/auth/<path> as
// Barong's contract expects: Envoy's gRPC ext_authz service
// (envoy.service.auth.v3.Authorization/Check) and Traefik's forwardAuth,
// which always asks one fixed address and tells the original method and
// URI in X-Forwarded-Method and X-Forwarded-Uri. Both map the gateway's
// request to an authz.Request exactly as the HTTP endpoint does (path,
// method, cookie, CSRF and API-key headers, client IP) and answer Barong's
// way: the bearer JWT on success, nothing for pass-listed paths, Barong's
// status and {"errors":[...]} body on refusal. docs/gateways.md has the
// gateway configurations.
package extauthz
