package token

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
)

// HexN returns n random bytes from crypto/rand as 2n lowercase hex digits
// (Barong's SecureRandom.hex(n)): HexN(10) for jti and reset tokens, HexN(8)
// for API-key ids, HexN(16) for secrets.
func HexN(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand aborts the program instead)
	return hex.EncodeToString(b)
}

// newUUIDv4 returns a random RFC 9562 version-4 UUID in canonical form.
func newUUIDv4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// marshalJSON encodes v like json.Marshal but without HTML escaping of <, >
// and &, matching Ruby's JSON.generate.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
