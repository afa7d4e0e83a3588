// Package api is the HTTP surface of barong-go: the identity, public,
// resource, admin and management families at both mounts
// (/api/v2/auth/<family> and /api/v2/<family>), the authz endpoint, and the
// JWKS, metrics and OpenAPI documents. Handlers parse parameters, call one
// app service method and render Barong's entities.
package api
