package authz

import (
	"net/url"
	"path"
	"strings"

	barong "github.com/barong-go/barong"
)

// ErrInvalidPath refuses a request target whose path an upstream could
// resolve differently from the string the rules are matched against
// (400 authz.invalid_path).
var ErrInvalidPath = barong.BadRequest("authz.invalid_path")

// TargetPath is the one check every entry of the gateway decision runs
// before Check (the HTTP endpoint, which Envoy's HTTP filter and nginx
// call, Envoy's gRPC service and Traefik's forwardAuth). target is the
// request target as the client sent it, not decoded: an absolute path with
// an optional query, e.g. /api/v2/peatio/orders.json?limit=5.
//
// It answers the authz path (api/v2/peatio/orders: no leading slash, no
// query, no format extension, as Barong's glob route gives it) and the raw
// query, or ErrInvalidPath for a path that is not one canonical string:
//
//   - dot segments, raw or percent-encoded in any case (., .., %2e%2E,
//     and any segment of dots only);
//   - path parameters (;, raw or %3b), which Java servers strip from each
//     segment before routing (/api/v2;x/barong/management is
//     /api/v2/barong/management to them);
//   - encoded slashes, backslashes, percent signs (double encoding) and
//     NUL (%2f, %5c, %25, %00), and raw backslashes;
//   - control characters, raw or encoded;
//   - empty segments (//);
//   - bad escapes, or anything whose cleaned form differs from the path.
//
// Rules match the decoded path, which then is the path any upstream that
// decodes once and normalises (nginx, Envoy, Rack, Go) routes.
func TargetPath(target string) (authzPath, rawQuery string, err error) {
	raw, rawQuery, _ := strings.Cut(target, "?")
	raw, _, _ = strings.Cut(raw, "#")
	if !strings.HasPrefix(raw, "/") || !rawPathClean(raw) {
		return "", "", ErrInvalidPath
	}
	p, err := url.PathUnescape(raw)
	if err != nil || strings.ContainsFunc(p, isControl) || strings.Contains(p, ";") || hasDotSegment(p) {
		return "", "", ErrInvalidPath
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return "", "", ErrInvalidPath
	}
	p = p[1:]
	last := p[strings.LastIndexByte(p, '/')+1:]
	if i := strings.LastIndexByte(last, '.'); i > 0 {
		p = p[:len(p)-len(last)+i]
	}
	return p, rawQuery, nil
}

// rawPathClean checks the undecoded path: no refused escape, no
// backslash, no empty segment, no segment of dots only.
func rawPathClean(raw string) bool {
	if strings.Contains(raw, "\\") || strings.Contains(raw, "//") {
		return false
	}
	for rest := raw; ; {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			break
		}
		if i+3 > len(rest) {
			return false
		}
		switch strings.ToLower(rest[i+1 : i+3]) {
		case "2e", "2f", "5c", "25", "00":
			return false
		}
		rest = rest[i+3:]
	}
	return !hasDotSegment(raw)
}

// hasDotSegment reports whether a segment of p is made of dots only.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg != "" && strings.Trim(seg, ".") == "" {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
