package authz

import (
	"math/big"
	"strings"
	"testing"
)

// FuzzValidSignature checks the HMAC header verification on arbitrary
// headers: it never panics, a signature made with Sign always verifies,
// and any other signature (including the upper-case form) never does.
func FuzzValidSignature(f *testing.F) {
	// Barong's documented example (reference §5.2).
	f.Add("2d0b4979c7fe6986daa8e21d1dc0644f", "1584524005143", "61d025b8573501c2", "")
	f.Add("", "", "", "")
	f.Add("secret", "0", "kid", "00")
	f.Add("s\x00\xff", "１２３", "kid\n", strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, secret, nonce, kid, sig string) {
		good := Sign(secret, nonce, kid)
		if len(good) != 64 || strings.ToLower(good) != good {
			t.Fatalf("Sign gave %q, want 64 lower-case hex characters", good)
		}
		if !ValidSignature(secret, nonce, kid, good) {
			t.Fatalf("signature made with Sign does not verify: secret=%q nonce=%q kid=%q", secret, nonce, kid)
		}
		if got, want := ValidSignature(secret, nonce, kid, sig), sig == good; got != want {
			t.Fatalf("ValidSignature(%q) = %v, want %v (expected %q)", sig, got, want, good)
		}
		if up := strings.ToUpper(good); up != good && ValidSignature(secret, nonce, kid, up) {
			t.Fatalf("upper-case signature %q verified", up)
		}
		// The signed string is nonce+kid: moving a character across the
		// boundary signs the same bytes, as Barong does.
		if nonce != "" && !ValidSignature(secret, nonce[:len(nonce)-1], nonce[len(nonce)-1:]+kid, good) {
			t.Fatal("signature is not over the plain concatenation nonce+kid")
		}
	})
}

// FuzzLeadingInt checks the nonce parser against Ruby's String#to_i on
// decimal input: the leading digits after blanks, 0 when there are none or
// they overflow; never negative, never a panic.
func FuzzLeadingInt(f *testing.F) {
	for _, s := range []string{"1584524005143", "", " 42abc", "-5", "+7", "abc", "99999999999999999999",
		"9223372036854775807", "9223372036854775808", "\t12\n", "0x10", "１２"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := leadingInt(s)
		if got < 0 {
			t.Fatalf("leadingInt(%q) = %d < 0", s, got)
		}
		trimmed := strings.TrimSpace(s)
		end := 0
		for end < len(trimmed) && trimmed[end] >= '0' && trimmed[end] <= '9' {
			end++
		}
		var want int64
		if n, ok := new(big.Int).SetString(trimmed[:end], 10); ok && n.IsInt64() {
			want = n.Int64()
		}
		if got != want {
			t.Fatalf("leadingInt(%q) = %d, want %d", s, got, want)
		}
	})
}
