package api_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barong-go/barong/api"
	"github.com/barong-go/barong/internal/openapigen"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPIValid validates the document with a real OpenAPI 3.1
// validator: the document against the OpenAPI schema, and every reference
// resolved.
func TestOpenAPIValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("version %s", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	if n := model.Model.Paths.PathItems.Len(); n < 90 {
		t.Fatalf("%d paths", n)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s (%s)", se.Reason, se.FieldPath, se.KeywordLocation)
			}
		}
	}
}

// TestOpenAPIRoutes: every registered route of every family is documented
// with its method, and the document lists no family route that is not
// registered (internal/server's TestOpenAPIPathsServed sends a request to
// each documented operation).
func TestOpenAPIRoutes(t *testing.T) {
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range api.New(api.Config{}, api.Deps{}).Routes() {
		k := r.Method + " /api/v2/auth/" + r.Family + r.Path
		registered[k] = true
		if !documented[k] {
			t.Errorf("%s is not in the document", k)
		}
	}
	for k := range documented {
		_, p, _ := strings.Cut(k, " ")
		family := strings.Split(strings.TrimPrefix(p, "/api/v2/auth/"), "/")[0]
		switch family {
		case "identity", "public", "resource", "admin", "management":
			if !registered[k] && k != "GET /api/v2/auth/management/swagger" {
				t.Errorf("%s is documented but not registered", k)
			}
		}
	}
}

// TestOpenAPIUpToDate: the committed document is what scripts/openapi
// writes from the current routes (needs the spec folder beside the
// repository, as on the development machines and in CI).
func TestOpenAPIUpToDate(t *testing.T) {
	var spec string
	for _, dir := range []string{"../../shared/spec", "../../../shared/spec", "/work/shared/spec"} {
		if _, err := os.Stat(filepath.Join(dir, "barong-reference.md")); err == nil {
			spec = dir
			break
		}
	}
	if spec == "" {
		t.Skip("the spec folder (shared/spec) is not beside the repository")
	}
	var routes []openapigen.Route
	for _, r := range api.New(api.Config{}, api.Deps{}).Routes() {
		routes = append(routes, openapigen.Route(r))
	}
	b, err := openapigen.FromSpec(routes, spec, api.OpenAPIVersion)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, api.OpenAPI()) {
		t.Fatal("api/openapi.json is stale: run go run ./scripts/openapi -spec " + spec)
	}
}

// TestOpenAPIValidatorRefuses shows the validation above has teeth: a
// document with a response that is not an object is refused.
func TestOpenAPIValidatorRefuses(t *testing.T) {
	bad := bytes.Replace(api.OpenAPI(), []byte(`"openapi": "3.1.0",`), []byte(`"openapi": "3.1.0", "webhooks": 7,`), 1)
	doc, err := libopenapi.NewDocument(bad)
	if err != nil {
		return // refused while parsing: fine too
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return
	}
	if ok, _ := v.ValidateDocument(); ok {
		t.Fatal("a document with webhooks: 7 passed validation")
	}
}
