package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// JWK is a public JSON Web Key (RFC 7517) as published in the JWKS: kty/n/e
// for RSA, kty "OKP"/crv "Ed25519"/x for Ed25519.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKSet is a JSON Web Key Set, {"keys":[...]}.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

var b64 = base64.RawURLEncoding

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// PublicJWK describes a public key as a JWK with use "sig", its pinned
// algorithm and its RFC 7638 thumbprint as kid.
func PublicJWK(pub crypto.PublicKey) (JWK, error) {
	alg, err := PublicKeyAlgorithm(pub)
	if err != nil {
		return JWK{}, err
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		return JWK{}, err
	}
	j := JWK{Use: "sig", Alg: alg, Kid: kid}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64.EncodeToString(p.N.Bytes()), rsaExponent(p.E)
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(p)
	}
	return j, nil
}

func rsaExponent(e int) string {
	return b64.EncodeToString(big.NewInt(int64(e)).Bytes())
}

// Thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of an
// RSA or Ed25519 public key.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	var canonical string
	switch p := pub.(type) {
	case *rsa.PublicKey:
		// Members in lexicographic order, no whitespace (RFC 7638 §3.2).
		canonical = `{"e":"` + rsaExponent(p.E) + `","kty":"RSA","n":"` + b64.EncodeToString(p.N.Bytes()) + `"}`
	case ed25519.PublicKey:
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + b64.EncodeToString(p) + `"}`
	default:
		return "", fmt.Errorf("thumbprint: unsupported public key type %T", pub)
	}
	sum := sha256Sum([]byte(canonical))
	return b64.EncodeToString(sum[:]), nil
}

// JWKS returns the key set holding this key's public half.
func (k *Key) JWKS() ([]byte, error) {
	return marshalJWKS([]crypto.PublicKey{k.pub})
}

func marshalJWKS(pubs []crypto.PublicKey) ([]byte, error) {
	set := JWKSet{Keys: make([]JWK, 0, len(pubs))}
	seen := make(map[string]bool, len(pubs))
	for _, p := range pubs {
		j, err := PublicJWK(p)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		if seen[j.Kid] {
			continue
		}
		seen[j.Kid] = true
		set.Keys = append(set.Keys, j)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return b, nil
}
