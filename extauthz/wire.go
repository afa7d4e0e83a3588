package extauthz

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The few protobuf messages the gRPC service reads and writes, coded by
// hand with protowire so that the binary links neither grpc-go nor the
// generated Envoy types. Field numbers are those of the generated code of
// github.com/envoyproxy/go-control-plane/envoy v1.40.0 (service/auth/v3,
// config/core/v3, type/v3), google.golang.org/genproto/googleapis/rpc/status
// and google.golang.org/grpc/health/grpc_health_v1; wire_test.go checks
// both directions against those types. Decoding follows proto3 rules:
// unknown fields (and known ones with another wire type) are skipped, a
// message field seen twice is merged, a scalar seen twice keeps the last
// value, string fields must be valid UTF-8.

// CheckRequest is what barong reads of envoy.service.auth.v3.CheckRequest.
type CheckRequest struct {
	// Source is attributes.source.address.socket_address.address: the
	// address of whoever connected to Envoy.
	Source string
	// Method, Path (with query), Host and Headers (lower-case keys) are
	// attributes.request.http.{method,path,host,headers}.
	Method, Path, Host string
	Headers            map[string]string
	// HeaderMap is attributes.request.http.header_map.headers, which Envoy
	// sends instead of Headers when encode_raw_headers is on.
	HeaderMap []HeaderValue
}

// HeaderValue is envoy.config.core.v3.HeaderValue.
type HeaderValue struct {
	Key, Value string
	RawValue   []byte
}

// CheckResponse is envoy.service.auth.v3.CheckResponse as barong answers
// it: status.code, and either DeniedResponse or OKResponse.
type CheckResponse struct {
	// Code is the google.rpc.Status code: OK (0), PERMISSION_DENIED (7) or
	// UNAUTHENTICATED (16).
	Code   int32
	Denied *DeniedResponse
	OK     *OKResponse
}

// DeniedResponse is envoy.service.auth.v3.DeniedHttpResponse. Headers are
// sent as HeaderValueOptions with append_action OVERWRITE_IF_EXISTS_OR_ADD.
type DeniedResponse struct {
	Status  int
	Headers []HeaderValue
	Body    string
}

// OKResponse is envoy.service.auth.v3.OkHttpResponse. Headers are sent as
// HeaderValueOptions with append_action OVERWRITE_IF_EXISTS_OR_ADD.
type OKResponse struct {
	Headers         []HeaderValue
	HeadersToRemove []string
}

// Field numbers.
const (
	// envoy.service.auth.v3.CheckRequest
	fCheckRequestAttributes = 1
	// envoy.service.auth.v3.AttributeContext
	fAttrSource  = 1
	fAttrRequest = 4
	// AttributeContext.Peer
	fPeerAddress = 1
	// envoy.config.core.v3.Address: the oneof address
	fAddressSocket   = 1
	fAddressPipe     = 2
	fAddressInternal = 3
	// envoy.config.core.v3.SocketAddress
	fSocketAddress = 2
	// AttributeContext.Request
	fRequestHTTP = 2
	// AttributeContext.HttpRequest
	fHTTPMethod    = 2
	fHTTPHeaders   = 3
	fHTTPPath      = 4
	fHTTPHost      = 5
	fHTTPHeaderMap = 13
	// map entries
	fMapKey   = 1
	fMapValue = 2
	// envoy.config.core.v3.HeaderMap
	fHeaderMapHeaders = 1
	// envoy.config.core.v3.HeaderValue
	fHeaderKey      = 1
	fHeaderValue    = 2
	fHeaderRawValue = 3
	// envoy.config.core.v3.HeaderValueOption
	fOptionHeader       = 1
	fOptionAppendAction = 3
	// HeaderValueOption.HeaderAppendAction OVERWRITE_IF_EXISTS_OR_ADD
	overwriteIfExistsOrAdd = 2
	// envoy.service.auth.v3.CheckResponse
	fResponseStatus = 1
	fResponseDenied = 2
	fResponseOK     = 3
	// google.rpc.Status
	fStatusCode = 1
	// envoy.service.auth.v3.DeniedHttpResponse
	fDeniedStatus  = 1
	fDeniedHeaders = 2
	fDeniedBody    = 3
	// envoy.type.v3.HttpStatus
	fHTTPStatusCode = 1
	// envoy.service.auth.v3.OkHttpResponse
	fOKHeaders         = 2
	fOKHeadersToRemove = 5
	// grpc.health.v1.HealthCheckRequest and HealthCheckResponse
	fHealthService = 1
	fHealthStatus  = 1
	healthServing  = 1
)

// errMalformed is any message that is not valid protobuf for its type.
var errMalformed = errors.New("malformed protobuf message")

// field is one field of a message: its number and, for the wire types
// barong reads, its value (the payload of a length-delimited field, the
// value of a varint).
type field struct {
	num   protowire.Number
	typ   protowire.Type
	bytes []byte
	u64   uint64
}

// fields walks the fields of a message. next returns false at the end of
// the message or at the first error, kept in err.
type fields struct {
	b   []byte
	err error
}

func (fs *fields) next(f *field) bool {
	if len(fs.b) == 0 || fs.err != nil {
		return false
	}
	num, typ, n := protowire.ConsumeTag(fs.b)
	if n < 0 {
		fs.err = fmt.Errorf("%w: %w", errMalformed, protowire.ParseError(n))
		return false
	}
	if num > protowire.MaxValidNumber {
		fs.err = fmt.Errorf("%w: field number %d", errMalformed, num)
		return false
	}
	fs.b = fs.b[n:]
	*f = field{num: num, typ: typ}
	switch typ {
	case protowire.BytesType:
		f.bytes, n = protowire.ConsumeBytes(fs.b)
	case protowire.VarintType:
		f.u64, n = protowire.ConsumeVarint(fs.b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, fs.b)
	}
	if n < 0 {
		fs.err = fmt.Errorf("%w: field %d: %w", errMalformed, num, protowire.ParseError(n))
		return false
	}
	fs.b = fs.b[n:]
	return true
}

// str is f as a proto3 string field.
func (f *field) str() (string, error) {
	if !utf8.Valid(f.bytes) {
		return "", fmt.Errorf("%w: field %d: invalid UTF-8", errMalformed, f.num)
	}
	return string(f.bytes), nil
}

// decodeCheckRequest reads the fields barong uses of a serialized
// envoy.service.auth.v3.CheckRequest.
func decodeCheckRequest(b []byte) (*CheckRequest, error) {
	req := &CheckRequest{}
	err := walk(b, func(f *field) error {
		if f.num == fCheckRequestAttributes {
			return req.decodeAttributes(f.bytes)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// decodeAttributes reads an AttributeContext. Each nested message decodes
// into req itself, which gives proto's merge of repeated occurrences.
func (req *CheckRequest) decodeAttributes(b []byte) error {
	return walk(b, func(f *field) error {
		switch f.num {
		case fAttrSource:
			return walk(f.bytes, req.decodePeer)
		case fAttrRequest:
			return walk(f.bytes, func(f *field) error {
				if f.num == fRequestHTTP {
					return walk(f.bytes, req.decodeHTTP)
				}
				return nil
			})
		}
		return nil
	})
}

// walk calls fn for each length-delimited field of the message b, the only
// wire type of every field barong reads as a message or string.
func walk(b []byte, fn func(*field) error) error {
	fs := fields{b: b}
	var f field
	for fs.next(&f) {
		if f.typ != protowire.BytesType {
			continue
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return fs.err
}

// decodePeer reads AttributeContext.Peer down to the socket address.
func (req *CheckRequest) decodePeer(f *field) error {
	if f.num != fPeerAddress {
		return nil
	}
	return walk(f.bytes, func(f *field) error {
		switch f.num {
		case fAddressSocket:
			return walk(f.bytes, func(f *field) error {
				if f.num != fSocketAddress {
					return nil
				}
				s, err := f.str()
				req.Source = s
				return err
			})
		case fAddressPipe, fAddressInternal:
			// Another member of the oneof replaces the socket address.
			req.Source = ""
		}
		return nil
	})
}

// decodeHTTP reads one field of AttributeContext.HttpRequest.
func (req *CheckRequest) decodeHTTP(f *field) error {
	var err error
	switch f.num {
	case fHTTPMethod:
		req.Method, err = f.str()
	case fHTTPPath:
		req.Path, err = f.str()
	case fHTTPHost:
		req.Host, err = f.str()
	case fHTTPHeaders:
		var k, v string
		err = walk(f.bytes, func(f *field) error {
			var err error
			switch f.num {
			case fMapKey:
				k, err = f.str()
			case fMapValue:
				v, err = f.str()
			}
			return err
		})
		if err == nil {
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			req.Headers[k] = v
		}
	case fHTTPHeaderMap:
		err = walk(f.bytes, func(f *field) error {
			if f.num != fHeaderMapHeaders {
				return nil
			}
			var h HeaderValue
			err := walk(f.bytes, func(f *field) error {
				var err error
				switch f.num {
				case fHeaderKey:
					h.Key, err = f.str()
				case fHeaderValue:
					h.Value, err = f.str()
				case fHeaderRawValue:
					h.RawValue = append([]byte(nil), f.bytes...)
				}
				return err
			})
			req.HeaderMap = append(req.HeaderMap, h)
			return err
		})
	}
	return err
}

// decodeHealthRequest reads grpc.health.v1.HealthCheckRequest.service.
func decodeHealthRequest(b []byte) (string, error) {
	var service string
	err := walk(b, func(f *field) error {
		var err error
		if f.num == fHealthService {
			service, err = f.str()
		}
		return err
	})
	return service, err
}

// marshal appends the serialized envoy.service.auth.v3.CheckResponse.
func (r *CheckResponse) marshal(b []byte) []byte {
	// status is always sent, as the generated code sends a non-nil
	// google.rpc.Status, even with code OK.
	b = appendMessage(b, fResponseStatus, func(b []byte) []byte {
		return appendVarintField(b, fStatusCode, uint64(int64(r.Code)))
	})
	if d := r.Denied; d != nil {
		b = appendMessage(b, fResponseDenied, func(b []byte) []byte {
			b = appendMessage(b, fDeniedStatus, func(b []byte) []byte {
				return appendVarintField(b, fHTTPStatusCode, uint64(int64(d.Status)))
			})
			b = appendHeaderOptions(b, fDeniedHeaders, d.Headers)
			return appendStringField(b, fDeniedBody, d.Body)
		})
	}
	if ok := r.OK; ok != nil {
		b = appendMessage(b, fResponseOK, func(b []byte) []byte {
			b = appendHeaderOptions(b, fOKHeaders, ok.Headers)
			for _, h := range ok.HeadersToRemove {
				b = protowire.AppendTag(b, fOKHeadersToRemove, protowire.BytesType)
				b = protowire.AppendString(b, h)
			}
			return b
		})
	}
	return b
}

// marshalHealthResponse appends grpc.health.v1.HealthCheckResponse SERVING.
func marshalHealthResponse(b []byte) []byte {
	return appendVarintField(b, fHealthStatus, healthServing)
}

func appendHeaderOptions(b []byte, num protowire.Number, hs []HeaderValue) []byte {
	for _, h := range hs {
		b = appendMessage(b, num, func(b []byte) []byte {
			b = appendMessage(b, fOptionHeader, func(b []byte) []byte {
				b = appendStringField(b, fHeaderKey, h.Key)
				b = appendStringField(b, fHeaderValue, h.Value)
				if len(h.RawValue) > 0 {
					b = protowire.AppendTag(b, fHeaderRawValue, protowire.BytesType)
					b = protowire.AppendBytes(b, h.RawValue)
				}
				return b
			})
			return appendVarintField(b, fOptionAppendAction, overwriteIfExistsOrAdd)
		})
	}
	return b
}

// appendMessage appends field num holding the message body appends, which
// is written in place and then moved to make room for its length.
func appendMessage(b []byte, num protowire.Number, body func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = body(b)
	n := len(b) - start
	size := protowire.SizeVarint(uint64(n))
	for range size {
		b = append(b, 0)
	}
	copy(b[start+size:], b[start:start+n])
	protowire.AppendVarint(b[start:start], uint64(n))
	return b
}

// appendStringField appends a proto3 string field, omitted when empty.
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendVarintField appends a proto3 varint field, omitted when zero.
func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}
