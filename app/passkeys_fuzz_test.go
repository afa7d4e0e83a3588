package app

import (
	"testing"
)

// FuzzParsePasskeyAssertion: the assertion parser never panics, and what it
// accepts names a credential id within WebAuthn's bounds.
func FuzzParsePasskeyAssertion(f *testing.F) {
	f.Add(`{"id":"qfi9f2a2Q8hSIs3uwCwRQxDD4eC81SXRwAxSnC-ReLc","rawId":"qfi9f2a2Q8hSIs3uwCwRQxDD4eC81SXRwAxSnC-ReLc","type":"public-key","response":{"authenticatorData":"51l5zD79jiUFqPn_AIXJuSBB_wMD7GrixDElcHAc5E4FAAAAAg","clientDataJSON":"eyJjaGFsbGVuZ2UiOiJJYUlqU1pKc2tkSE9SZmFnSF8yV29LVTFOcmF4QXR4eEd2RVEyMXN3VWpVIiwib3JpZ2luIjoiaHR0cHM6Ly9iYXJvbmcuZXhhbXBsZSIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ","signature":"MEUCIFXS3m1QkZDN92T7wAuimzI_q4Zcnm4p7ei_ZWpOC5OTAiEAkSU8z6IN7c-lOZTncTVqYzW9poUZKk0q5iAXV3YfPH4","userHandle":"L_8JG3gna8EPWvaOr36zsVjUfuWBOOgiF5HsxrkfiUc"}}`)
	f.Add(`{"id":"","rawId":"","type":"public-key","response":{}}`)
	f.Add(`{}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParsePasskeyAssertion([]byte(s))
		if err != nil {
			return
		}
		if n := len(a.parsed.RawID); n == 0 || n > maxCredentialIDLen {
			t.Fatalf("accepted a credential id of %d bytes", n)
		}
	})
}

func TestNewWebAuthnConfig(t *testing.T) {
	for _, c := range []struct{ domain, rpID, origin string }{
		{"example.com", "example.com", "https://example.com"},
		{"Example.COM:8443", "example.com", "https://example.com:8443"},
		{"https://www.example.com/", "www.example.com", "https://www.example.com"},
		{"http://localhost:3000", "localhost", "http://localhost:3000"},
	} {
		w := NewWebAuthnConfig(c.domain, "Barong", []string{"http://localhost:5173"})
		if w.RPID != c.rpID || w.Origins[0] != c.origin || w.Origins[1] != "http://localhost:5173" || w.RPName != "Barong" {
			t.Errorf("%s: %+v", c.domain, w)
		}
	}
}
