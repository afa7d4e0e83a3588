package authz

import (
	"strings"
	"unicode/utf8"
)

// MaxUserAgentBytes bounds the user agent kept with sessions and
// activities.
const MaxUserAgentBytes = 1024

// CleanUserAgent is the User-Agent header as sessions and activities keep
// it: invalid UTF-8 replaced (U+FFFD), NUL bytes dropped, at most
// MaxUserAgentBytes (cut at a character boundary). Every database can
// store it, and every entry point (HTTP, the gateway, ext_authz) cleans it
// the same way, so that a session's user agent compares equal.
func CleanUserAgent(ua string) string {
	if len(ua) <= MaxUserAgentBytes && utf8.ValidString(ua) && !strings.ContainsRune(ua, 0) {
		return ua
	}
	ua = strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", "")
	if len(ua) > MaxUserAgentBytes {
		cut := MaxUserAgentBytes
		for cut > 0 && !utf8.RuneStart(ua[cut]) {
			cut--
		}
		ua = ua[:cut]
	}
	return ua
}
