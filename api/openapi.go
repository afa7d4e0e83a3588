package api

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// handleOpenAPI serves an OpenAPI 3 document listing every registered
// endpoint of every family at the seed's /api/v2/auth mount.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		p := "/api/v2/auth/" + rt.family + rt.path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{"summary": rt.summary, "tags": []string{rt.family},
			"responses": map[string]any{"default": map[string]any{"description": "JSON; errors as {\"errors\":[keys]}"}}}
		var ps []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			ps = append(ps, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		if ps != nil {
			op["parameters"] = ps
		}
		paths[p][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]string{"title": "barong-go", "version": s.cfg.Version.Version},
		"paths":   paths,
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
