package extauthz

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The gRPC service is served by net/http over cleartext HTTP/2 with prior
// knowledge (h2c), which is what Envoy's envoy_grpc clusters and grpc-go
// clients speak; messages are coded by hand (wire.go). Only unary calls
// exist here: Authorization/Check and Health/Check.

const (
	authService   = "envoy.service.auth.v3.Authorization"
	healthService = "grpc.health.v1.Health"
	// maxMessage is grpc-go's default limit on a received message.
	maxMessage = 4 << 20
)

// gRPC status codes (google.golang.org/grpc/codes).
const (
	codeOK                = 0
	codeCanceled          = 1
	codeInvalidArgument   = 3
	codeDeadlineExceeded  = 4
	codeNotFound          = 5
	codePermissionDenied  = 7
	codeResourceExhausted = 8
	codeUnimplemented     = 12
	codeInternal          = 13
	codeUnauthenticated   = 16
)

// Check is envoy.service.auth.v3.Authorization/Check. The request's
// method, path, headers and source address become the authz request; an
// allowed caller gets OkHttpResponse setting authorization: Bearer <JWT>,
// a pass-listed path OkHttpResponse without it (and removing any
// authorization the client sent, so that upstreams only ever see tokens
// barong minted), a refusal DeniedHttpResponse with Barong's status and
// {"errors":[...]} body. An unexpected failure is a 500 refusal, like the
// HTTP endpoint's.
func (s *Service) Check(ctx context.Context, req *CheckRequest) *CheckResponse {
	d := s.decide(ctx, req.Method, req.Path, req.Source, req.header())
	if !d.allowed() {
		code := int32(codePermissionDenied)
		if d.Status == http.StatusUnauthorized {
			code = codeUnauthenticated
		}
		return &CheckResponse{Code: code, Denied: &DeniedResponse{Status: d.Status,
			Headers: []HeaderValue{{Key: "content-type", Value: "application/json"}}, Body: string(d.Body)}}
	}
	ok := &OKResponse{}
	if d.Token != "" {
		ok.Headers = []HeaderValue{{Key: "authorization", Value: "Bearer " + d.Token}}
	} else {
		ok.HeadersToRemove = []string{"authorization"}
	}
	return &CheckResponse{Code: codeOK, OK: ok}
}

// header reads the request headers Envoy sends: the raw list when
// encode_raw_headers is on, else the merged map (lower-case keys).
func (req *CheckRequest) header() http.Header {
	out := make(http.Header, max(len(req.HeaderMap), len(req.Headers)))
	if len(req.HeaderMap) > 0 {
		for _, kv := range req.HeaderMap {
			v := kv.Value
			if len(kv.RawValue) > 0 {
				v = string(kv.RawValue)
			}
			out.Add(kv.Key, v)
		}
		return out
	}
	for k, v := range req.Headers {
		out.Add(k, v)
	}
	return out
}

// Serve answers the gRPC ext_authz service and the standard health service
// on ln until ctx ends, then stops gracefully: checks in flight are
// answered (for at most drain), new connections are refused. It returns
// nil after a stop caused by ctx.
func (s *Service) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:   http.HandlerFunc(s.serveGRPC),
		Protocols: &protos,
		// A client that opens a connection and sends nothing is dropped;
		// Envoy re-opens idle connections it needs.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The drain ran out: cut the connections still busy.
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("grpc serve: %w", err)
	}
	return nil
}

// grpcError is a call's failure: a gRPC status code and message.
type grpcError struct {
	code int
	msg  string
}

func (e *grpcError) Error() string { return fmt.Sprintf("grpc status %d: %s", e.code, e.msg) }

// serveGRPC answers one gRPC call: the unary methods of the Authorization
// and Health services, UNIMPLEMENTED for anything else.
func (s *Service) serveGRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "gRPC requires POST", http.StatusMethodNotAllowed)
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/grpc" && !strings.HasPrefix(mt, "application/grpc+")) {
		http.Error(w, "content-type must be application/grpc", http.StatusUnsupportedMediaType)
		return
	}
	w.Header().Set("Content-Type", "application/grpc")
	if sub := strings.TrimPrefix(mt, "application/grpc"); sub != "" && sub != "+proto" {
		grpcStatus(w, &grpcError{codeInternal, "no codec registered for content-subtype " + sub[1:]})
		return
	}
	ctx := r.Context()
	if v := r.Header.Get("Grpc-Timeout"); v != "" {
		d, ok := parseTimeout(v)
		if !ok {
			grpcStatus(w, &grpcError{codeInternal, "malformed grpc-timeout " + strconv.Quote(v)})
			return
		}
		if d < math.MaxInt64 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	out, gerr := s.call(ctx, r)
	if gerr == nil && ctx.Err() != nil {
		// The caller gave up (or its deadline passed) during the check: it
		// no longer waits for the answer.
		gerr = &grpcError{codeCanceled, "context canceled"}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			gerr = &grpcError{codeDeadlineExceeded, "context deadline exceeded"}
		}
	}
	if gerr != nil {
		grpcStatus(w, gerr)
		return
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(out); err != nil {
		return // the stream is gone; nothing else can be sent
	}
	w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
}

// call runs the method r names and returns its framed answer.
func (s *Service) call(ctx context.Context, r *http.Request) ([]byte, *grpcError) {
	service, method, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case service == authService && method == "Check":
		msg, gerr := readMessage(r.Body)
		if gerr != nil {
			return nil, gerr
		}
		req, err := decodeCheckRequest(msg)
		if err != nil {
			return nil, &grpcError{codeInvalidArgument, "CheckRequest: " + err.Error()}
		}
		return frame(s.Check(ctx, req).marshal), nil
	case service == healthService && method == "Check":
		msg, gerr := readMessage(r.Body)
		if gerr != nil {
			return nil, gerr
		}
		name, err := decodeHealthRequest(msg)
		if err != nil {
			return nil, &grpcError{codeInvalidArgument, "HealthCheckRequest: " + err.Error()}
		}
		// As grpc-go's health server: the server as a whole ("") and the
		// services it knows; NOT_FOUND for others.
		if name != "" && name != authService && name != healthService {
			return nil, &grpcError{codeNotFound, "unknown service"}
		}
		return frame(marshalHealthResponse), nil
	case service == authService || service == healthService:
		return nil, &grpcError{codeUnimplemented, fmt.Sprintf("unknown method %s for service %s", method, service)}
	default:
		return nil, &grpcError{codeUnimplemented, "unknown service " + service}
	}
}

// readMessage reads the one length-prefixed message of a unary call: a
// compressed-flag byte, a 4-byte big-endian length, the message, then the
// end of the stream.
func readMessage(body io.Reader) ([]byte, *grpcError) {
	var hdr [5]byte
	if _, err := io.ReadFull(body, hdr[:]); err != nil {
		return nil, readError(err)
	}
	switch hdr[0] {
	case 0:
	case 1:
		return nil, &grpcError{codeUnimplemented, "compressed messages are not supported"}
	default:
		return nil, &grpcError{codeInternal, fmt.Sprintf("unexpected payload format %d", hdr[0])}
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxMessage {
		return nil, &grpcError{codeResourceExhausted, fmt.Sprintf("received message larger than max (%d vs. %d)", n, maxMessage)}
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(body, msg); err != nil {
		return nil, readError(err)
	}
	var more [1]byte
	if k, err := io.ReadFull(body, more[:]); k > 0 {
		return nil, &grpcError{codeInternal, "more than one request message in a unary call"}
	} else if !errors.Is(err, io.EOF) {
		return nil, readError(err)
	}
	return msg, nil
}

func readError(err error) *grpcError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &grpcError{codeInternal, "truncated request message"}
	}
	return &grpcError{codeCanceled, "reading request: " + err.Error()}
}

// frame returns the message marshal appends, with the 5-byte prefix.
func frame(marshal func([]byte) []byte) []byte {
	b := marshal(make([]byte, 5, 256))
	binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-5))
	return b
}

// grpcStatus answers a failed call as a trailers-only response: HTTP 200
// and the status in the one HEADERS frame.
func grpcStatus(w http.ResponseWriter, e *grpcError) {
	h := w.Header()
	h.Set("Grpc-Status", strconv.Itoa(e.code))
	if e.msg != "" {
		h.Set("Grpc-Message", encodeGRPCMessage(e.msg))
	}
	w.WriteHeader(http.StatusOK)
}

// encodeGRPCMessage percent-encodes what the gRPC spec requires in
// grpc-message: bytes outside printable ASCII, and '%'.
func encodeGRPCMessage(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c >= ' ' && c <= '~' && c != '%' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// parseTimeout reads a grpc-timeout value: at most 8 digits and a unit
// (Hours, Minutes, Seconds, milliseconds, microseconds, nanoseconds). A
// timeout too long for time.Duration is math.MaxInt64 (no deadline).
func parseTimeout(v string) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 9 {
		return 0, false
	}
	var unit time.Duration
	switch v[len(v)-1] {
	case 'H':
		unit = time.Hour
	case 'M':
		unit = time.Minute
	case 'S':
		unit = time.Second
	case 'm':
		unit = time.Millisecond
	case 'u':
		unit = time.Microsecond
	case 'n':
		unit = time.Nanosecond
	default:
		return 0, false
	}
	var n int64
	for _, c := range v[:len(v)-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > math.MaxInt64/int64(unit) {
		return math.MaxInt64, true
	}
	return time.Duration(n) * unit, true
}
