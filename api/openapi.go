package api

import (
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// entropyNumber renders a float as Ruby's Float#to_json does: integral
// values keep ".0" (20.0), others use the shortest representation.
func entropyNumber(f float64) json.Number {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0.0"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

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
