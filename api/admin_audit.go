package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// auditParams are the request parameters authz stores in the data of an
// admin-category activity and takes the target_uid from (reference §7.5):
// the query string, the JSON or form body, and the uid path value. The
// body is read once, up to maxBodyBytes, and put back for the handler, so
// a direct admin call (say POST /admin/users/labels with a JSON body) is
// audited with its target and parameters, not only its query string.
// Multipart bodies (uploads) are left alone. authz redacts secrets.
func auditParams(r *http.Request) map[string]any {
	m := map[string]any{}
	for k, v := range r.URL.Query() {
		m[k] = v[len(v)-1]
	}
	for k, v := range bodyParams(r) {
		m[k] = v
	}
	if uid := r.PathValue("uid"); uid != "" {
		m["uid"] = uid
	}
	return m
}

// bodyParams decodes a JSON object or form body and restores r.Body.
func bodyParams(r *http.Request) map[string]any {
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/x-www-form-urlencoded" && ct != "" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil || len(b) > maxBodyBytes {
		return nil
	}
	if ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil
		}
		m := map[string]any{}
		for k, v := range form {
			m[k] = v[len(v)-1]
		}
		return m
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// readCloser reads the restored body and closes the original.
type readCloser struct {
	io.Reader
	io.Closer
}
