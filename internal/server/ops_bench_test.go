package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandlerPing measures the middleware of every request (request
// id, metrics, access log) on GET /identity/ping, calling the handler
// directly (no network), against a bare handler writing the same body.
// The access log writes JSON lines through slog to a sink that keeps
// nothing, so the figure is slog's formatting, not a disk.
func BenchmarkHandlerPing(b *testing.B) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{{"access_log=off", nil}, {"access_log=on", map[string]string{"BARONG_ACCESS_LOG": "true"}}} {
		b.Run(tc.name, func(b *testing.B) {
			ts := newServerTB(b, tc.env)
			ts.logs.mu.Lock()
			ts.logs.discard = true
			ts.logs.mu.Unlock()
			benchHandler(b, ts.Handler, "/api/v2/auth/identity/ping")
		})
	}
	b.Run("bare", func(b *testing.B) {
		benchHandler(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"ping":"pong"}`))
		}), "/api/v2/auth/identity/ping")
	})
}

func benchHandler(b *testing.B, h http.Handler, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("User-Agent", "bench")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
