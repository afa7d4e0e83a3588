package authz

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// macsSize bounds the keys whose HMAC state the engine keeps; when full,
// all are dropped and rebuilt on use.
const macsSize = 1 << 16

// macs keeps, per API-key secret, HMAC-SHA256 states keyed with it: the
// inner and outer pads are hashed once per state (crypto/hmac keeps them
// as marshalled digests after the first Reset), so a request's check
// hashes two blocks instead of four and allocates nothing. The states are
// pooled per secret; the pool is keyed by the secret itself, so a key
// whose secret changed gets other states.
type macs struct {
	mu sync.RWMutex
	m  map[string]*sync.Pool
}

func (c *macs) pool(secret string) *sync.Pool {
	c.mu.RLock()
	p := c.m[secret]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p = c.m[secret]; p != nil {
		return p
	}
	if c.m == nil || len(c.m) >= macsSize {
		c.m = map[string]*sync.Pool{}
	}
	key := []byte(secret)
	p = &sync.Pool{New: func() any {
		st := &macState{h: hmac.New(sha256.New, key)}
		st.h.Reset() // from now on Reset and Sum restore the hashed pads
		return st
	}}
	c.m[secret] = p
	return p
}

// macState is a keyed HMAC with the buffers of one check (a buffer passed
// to a hash.Hash escapes: kept here, it is not allocated per check).
type macState struct {
	h   hash.Hash
	buf [64]byte
	sum [sha256.Size]byte
}

// valid is ValidSignature on a pooled state of the secret.
func (c *macs) valid(secret, nonce, kid, signature string) bool {
	if len(signature) != 2*sha256.Size {
		return false
	}
	p := c.pool(secret)
	st := p.Get().(*macState)
	st.h.Reset()
	st.write(nonce)
	st.write(kid)
	sum := st.h.Sum(st.sum[:0])
	ok := equalHex((*[sha256.Size]byte)(sum), signature)
	p.Put(st)
	return ok
}

// write writes s through the state's buffer.
func (st *macState) write(s string) {
	for len(s) > 0 {
		n := copy(st.buf[:], s)
		st.h.Write(st.buf[:n])
		s = s[n:]
	}
}

// equalHex reports in constant time whether signature is the lower-case
// hex encoding of sum (Barong compares the hex digest as a string, so the
// upper-case form does not verify).
func equalHex(sum *[sha256.Size]byte, signature string) bool {
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], sum[:])
	if len(signature) != len(want) {
		return false
	}
	var v byte
	for i := range want {
		v |= want[i] ^ signature[i]
	}
	return v == 0
}

// ValidSignature checks hex(HMAC-SHA256(secret, nonce+kid)) in constant time.
func ValidSignature(secret, nonce, kid, signature string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce))
	m.Write([]byte(kid))
	return equalHex((*[sha256.Size]byte)(m.Sum(nil)), signature)
}

// Sign returns the X-Auth-Signature for a key (for clients and tests).
func Sign(secret, nonce, kid string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce + kid))
	return hex.EncodeToString(m.Sum(nil))
}
