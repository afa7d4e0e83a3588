package api

import (
	_ "embed"
	"net/http"
)

// openAPI is barong-go's OpenAPI 3.1 document, written by
// scripts/openapi (internal/openapigen) and checked against the route
// table by TestOpenAPIRoutes.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIVersion is the info.version of the document.
const OpenAPIVersion = "2.7.0"

// OpenAPI returns the document.
func OpenAPI() []byte { return openAPI }

// handleOpenAPI serves the document at GET /api/v2/auth/public/swagger
// (and management/swagger, where Barong served its management swagger).
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPI)
	return err
}
