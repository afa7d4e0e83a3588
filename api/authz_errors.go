package api

import "net/http"

// ErrorsHeader repeats the JSON body of a refused authz check, for
// gateways that see only the headers of the check's answer: nginx's
// auth_request discards the body and passes only 401 and 403 on
// (docs/gateways.md shows how nginx answers the client with it).
const ErrorsHeader = "X-Barong-Errors"

// writeAuthzError renders a refused authz check as writeError does, with
// the body repeated in ErrorsHeader.
func (s *Server) writeAuthzError(w http.ResponseWriter, r *http.Request, err error) {
	bw := &bodyInHeader{ResponseWriter: w, status: http.StatusOK}
	s.writeError(bw, r, err)
	if !bw.wrote {
		w.WriteHeader(bw.status)
	}
}

// bodyInHeader holds the status back until the body arrives, copies the
// body (one JSON line) into ErrorsHeader, then writes both.
type bodyInHeader struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (b *bodyInHeader) WriteHeader(status int) { b.status = status }

func (b *bodyInHeader) Write(p []byte) (int, error) {
	if !b.wrote {
		b.wrote = true
		b.Header().Set(ErrorsHeader, string(p))
		b.ResponseWriter.WriteHeader(b.status)
	}
	return b.ResponseWriter.Write(p)
}
