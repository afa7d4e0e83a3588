package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP determines the caller's address (reference §4.4): with
// gateway=akamai a non-empty True-Client-IP wins; otherwise X-Forwarded-For
// is walked from the right, skipping trusted proxies, starting from the
// socket peer, which must itself be trusted for the header to count.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.Gateway == "akamai" {
		if v := strings.TrimSpace(r.Header.Get("True-Client-IP")); v != "" {
			if a, err := netip.ParseAddr(v); err == nil {
				return a.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	var list []string
	for _, h := range hops {
		for _, part := range strings.Split(h, ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
	}
	addr := peer
	for i := len(list) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(list[i])
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !s.trusted(addr) {
			return addr.String()
		}
	}
	return addr.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isTLS reports whether the client connection is HTTPS (directly or as told
// by a proxy), which makes the session cookie Secure.
func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
