package token

import (
	"crypto"
	"errors"
	"fmt"
	"time"
)

// Keyring is the signing key plus any verification-only public keys (for key
// rotation: tokens signed by the previous key stay valid until they expire).
// Every verification method accepts a token signed by any key of the ring,
// each under its own pinned algorithm. A Keyring is immutable and safe for
// concurrent use.
type Keyring struct {
	signing *Key
	vs      []verifier
	pubs    []crypto.PublicKey
	policy  AccessPolicy
}

// AccessPolicy holds the optional checks of bearer-token verification, set
// from JWT_ISSUER, JWT_AUDIENCE and the JWT_*_LEEWAY variables as Peatio's
// verifier does. The zero value checks no iss/aud and allows no leeway.
type AccessPolicy struct {
	// Issuer, when set, requires iss to equal it.
	Issuer string
	// Audience, when set, requires aud to contain one of these values.
	Audience []string
	// Leeway applies to exp, nbf and iat unless a specific leeway is set.
	Leeway time.Duration
	// IssuedAtLeeway, ExpirationLeeway and NotBeforeLeeway override Leeway
	// when non-zero.
	IssuedAtLeeway, ExpirationLeeway, NotBeforeLeeway time.Duration
}

// NewKeyring builds a ring from the signing key (may be nil for a
// verification-only ring) and extra RSA (at least MinRSABits) or Ed25519
// public keys that are accepted for verification only.
func NewKeyring(signing *Key, verifyOnly ...crypto.PublicKey) (*Keyring, error) {
	r := &Keyring{signing: signing}
	pubs := verifyOnly
	if signing != nil {
		pubs = append([]crypto.PublicKey{signing.pub}, verifyOnly...)
	}
	if len(pubs) == 0 {
		return nil, errors.New("keyring: no keys")
	}
	for i, p := range pubs {
		if err := checkPublic(p); err != nil {
			return nil, fmt.Errorf("keyring: key %d: %w", i, err)
		}
		alg, err := PublicKeyAlgorithm(p)
		if err != nil {
			return nil, fmt.Errorf("keyring: key %d: %w", i, err)
		}
		r.vs = append(r.vs, verifier{alg: alg, pub: p, header: headerB64[alg]})
		r.pubs = append(r.pubs, p)
	}
	return r, nil
}

// WithAccessPolicy returns a copy of the ring whose VerifyAccess applies p.
func (r *Keyring) WithAccessPolicy(p AccessPolicy) *Keyring {
	c := *r
	c.policy = p
	c.policy.Audience = append([]string(nil), p.Audience...)
	return &c
}

// Signing returns the signing key, or nil for a verification-only ring.
func (r *Keyring) Signing() *Key { return r.signing }

// PublicKeys returns every public key of the ring, the signing key's first.
func (r *Keyring) PublicKeys() []crypto.PublicKey {
	return append([]crypto.PublicKey(nil), r.pubs...)
}

// JWKS returns the JSON Web Key Set of every public key of the ring (served
// at /.well-known/jwks.json).
func (r *Keyring) JWKS() ([]byte, error) { return marshalJWKS(r.pubs) }

func (r *Keyring) signer() (*Key, error) {
	if r.signing == nil {
		return nil, errors.New("keyring has no signing key")
	}
	return r.signing, nil
}

// ttlSeconds converts a token lifetime to whole seconds (at least one).
func ttlSeconds(ttl time.Duration) (int64, error) {
	s := int64(ttl / time.Second)
	if s <= 0 {
		return 0, fmt.Errorf("token lifetime %s is below one second", ttl)
	}
	return s, nil
}
