package authz

import (
	"strings"
	"testing"
)

// FuzzPooledSignature checks that the engine's pooled HMAC states verify
// exactly what ValidSignature verifies, whatever the secrets seen before.
func FuzzPooledSignature(f *testing.F) {
	f.Add("2d0b4979c7fe6986daa8e21d1dc0644f", "1584524005143", "61d025b8573501c2", "")
	f.Add("", "", "", "")
	f.Add("s\x00\xff", "１２３", "kid\n", strings.Repeat("a", 64))
	var c macs
	f.Fuzz(func(t *testing.T, secret, nonce, kid, sig string) {
		good := Sign(secret, nonce, kid)
		for range 2 { // a fresh state, then a pooled one
			if !c.valid(secret, nonce, kid, good) {
				t.Fatalf("pooled state refuses Sign's signature: secret=%q nonce=%q kid=%q", secret, nonce, kid)
			}
			if got, want := c.valid(secret, nonce, kid, sig), ValidSignature(secret, nonce, kid, sig); got != want {
				t.Fatalf("pooled %v, ValidSignature %v for %q", got, want, sig)
			}
			if c.valid(secret+"x", nonce, kid, good) {
				t.Fatal("another secret's state verified the signature")
			}
			if up := strings.ToUpper(good); up != good && c.valid(secret, nonce, kid, up) {
				t.Fatalf("upper-case signature %q verified", up)
			}
		}
	})
}

func BenchmarkSignature(b *testing.B) {
	secret, nonce, kid := "00112233445566778899aabbccddeeff", "1712345678901", "0a1b2c3d4e5f6071"
	sig := Sign(secret, nonce, kid)
	b.Run("ValidSignature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !ValidSignature(secret, nonce, kid, sig) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		var c macs
		b.ReportAllocs()
		for b.Loop() {
			if !c.valid(secret, nonce, kid, sig) {
				b.Fatal("refused")
			}
		}
	})
}
