// Command bare is the baseline of the load scripts: a bare net/http server
// answering GET /api/v2/auth/identity/ping like barong does.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18001", "listen address")
	flag.Parse()
	http.HandleFunc("GET /api/v2/auth/identity/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ping":"pong"}`))
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
