// Command bare is the baseline of the load scripts: a bare net/http server
// answering GET /api/v2/auth/identity/ping like barong does, and any other
// /api/v2/auth/ path like an allowed authz check (200, no body, an
// Authorization header as long as a member's RS256 bearer token).
package main

import (
	"flag"
	"log"
	"net/http"
	"strings"
)

// bearer is the size of "Bearer " and a member's RS256 token.
var bearer = "Bearer " + strings.Repeat("x", 760)

func main() {
	addr := flag.String("addr", "127.0.0.1:18001", "listen address")
	flag.Parse()
	http.HandleFunc("GET /api/v2/auth/identity/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ping":"pong"}`))
	})
	http.HandleFunc("/api/v2/auth/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", bearer)
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
