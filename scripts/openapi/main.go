// Command openapi writes api/openapi.json, barong-go's OpenAPI 3.1
// document, from the route table and Barong's swagger files and
// behavioural reference (internal/openapigen):
//
//	go run ./scripts/openapi -spec ../shared/spec
//
// api's TestOpenAPIUpToDate fails when the committed file differs from
// what this writes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/barong-go/barong/api"
	"github.com/barong-go/barong/internal/openapigen"
)

func main() {
	spec := flag.String("spec", "../shared/spec", "folder with barong-reference.md and swagger/")
	out := flag.String("o", "api/openapi.json", "output file")
	flag.Parse()
	var routes []openapigen.Route
	for _, r := range api.New(api.Config{}, api.Deps{}).Routes() {
		routes = append(routes, openapigen.Route(r))
	}
	b, err := openapigen.FromSpec(routes, *spec, api.OpenAPIVersion)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}
