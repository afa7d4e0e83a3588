package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Algorithm names used in JWS headers.
const (
	AlgRS256 = "RS256"
	AlgEdDSA = "EdDSA"
)

// MinRSABits is the smallest RSA modulus accepted for signing or verifying.
const MinRSABits = 2048

// Key is a private signing key together with its derived public data. It is
// immutable and safe for concurrent use.
type Key struct {
	priv crypto.Signer // *rsa.PrivateKey or ed25519.PrivateKey
	pub  crypto.PublicKey
	alg  string
	kid  string
}

// GenerateRSA returns a new RSA key of the given size (at least MinRSABits).
func GenerateRSA(bits int) (*Key, error) {
	if bits < MinRSABits {
		return nil, fmt.Errorf("generate rsa key: %d bits is below the minimum of %d", bits, MinRSABits)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate rsa key: %w", err)
	}
	return newKey(priv)
}

// GenerateEd25519 returns a new Ed25519 key.
func GenerateEd25519() (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return newKey(priv)
}

// NewKey wraps an existing *rsa.PrivateKey or ed25519.PrivateKey.
func NewKey(priv crypto.Signer) (*Key, error) { return newKey(priv) }

func newKey(priv crypto.Signer) (*Key, error) {
	k := &Key{priv: priv, pub: priv.Public()}
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("rsa private key: %w", err)
		}
		p.Precompute()
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return nil, errors.New("ed25519 private key: bad length")
		}
	default:
		return nil, fmt.Errorf("unsupported private key type %T (want RSA or Ed25519)", priv)
	}
	alg, err := PublicKeyAlgorithm(k.pub)
	if err != nil {
		return nil, err
	}
	kid, err := Thumbprint(k.pub)
	if err != nil {
		return nil, err
	}
	k.alg, k.kid = alg, kid
	return k, nil
}

// ParsePrivateKeyPEM parses the first PEM block of data: PKCS#1 "RSA PRIVATE
// KEY" or PKCS#8 "PRIVATE KEY" holding an RSA or Ed25519 key.
func ParsePrivateKeyPEM(data []byte) (*Key, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}
	var (
		priv any
		err  error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		if len(block.Bytes) == ed25519.SeedSize {
			// The 32-byte seed alone, as openware/pkg/jwt's EdDSA key
			// store writes it (not PKCS#8).
			priv = ed25519.NewKeyFromSeed(block.Bytes)
		} else {
			priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
	default:
		return nil, fmt.Errorf("parse private key: unsupported PEM block %q (want \"RSA PRIVATE KEY\" or \"PRIVATE KEY\")", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key (%s): %w", block.Type, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse private key: unsupported key type %T", priv)
	}
	if err := checkPublic(signer.Public()); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	k, err := newKey(signer)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return k, nil
}

// ParsePublicKeyPEM parses a PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY" PEM
// block holding an RSA (at least MinRSABits), Ed25519 or ECDSA (P-256, P-384,
// P-521) public key. ECDSA keys serve VerifyGeneral only; a Keyring takes RSA
// and Ed25519 keys.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse public key: no PEM block found")
	}
	var (
		pub any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("parse public key: unsupported PEM block %q (want \"PUBLIC KEY\")", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key (%s): %w", block.Type, err)
	}
	if err := checkPublic(pub); err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return pub, nil
}

// checkPublic accepts only the key types and sizes this package verifies.
func checkPublic(pub crypto.PublicKey) error {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N == nil || p.N.BitLen() < MinRSABits {
			return fmt.Errorf("rsa key shorter than %d bits", MinRSABits)
		}
		return nil
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return errors.New("ed25519 public key: bad length")
		}
		return nil
	case *ecdsa.PublicKey:
		if p.Curve == nil {
			return errors.New("ecdsa public key: no curve")
		}
		switch p.Curve.Params().BitSize {
		case 256, 384, 521:
			return nil
		}
		return fmt.Errorf("ecdsa public key: unsupported curve %s", p.Curve.Params().Name)
	default:
		return fmt.Errorf("unsupported public key type %T (want RSA, Ed25519 or ECDSA)", pub)
	}
}

// PublicKeyAlgorithm returns the JWS algorithm pinned to a public key: RS256
// for RSA, EdDSA for Ed25519.
func PublicKeyAlgorithm(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return AlgRS256, nil
	case ed25519.PublicKey:
		return AlgEdDSA, nil
	default:
		return "", fmt.Errorf("unsupported public key type %T (want RSA or Ed25519)", pub)
	}
}

// Algorithm returns the JWS algorithm of the key: "RS256" or "EdDSA".
func (k *Key) Algorithm() string { return k.alg }

// KID returns the RFC 7638 SHA-256 thumbprint of the public key (base64url),
// a stable identifier used in the JWKS.
func (k *Key) KID() string { return k.kid }

// Public returns the public half of the key.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// PrivatePEM encodes the private key: PKCS#1 "RSA PRIVATE KEY" for RSA (the
// form Ruby Barong writes and reads), PKCS#8 "PRIVATE KEY" for Ed25519.
func (k *Key) PrivatePEM() []byte {
	if p, ok := k.priv.(*rsa.PrivateKey); ok {
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p)})
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil { // cannot happen for the key types newKey accepts
		panic(fmt.Sprintf("token: marshal private key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicPEM encodes the public key as PKIX "PUBLIC KEY" PEM, the form
// Peatio's JWT_PUBLIC_KEY (base64 of this PEM) and Rango expect.
func (k *Key) PublicPEM() []byte {
	b, err := PublicKeyPEM(k.pub)
	if err != nil { // cannot happen for the key types newKey accepts
		panic(fmt.Sprintf("token: marshal public key: %v", err))
	}
	return b
}

// ErrNoRawForm is PublicRawPEM's answer for keys other than Ed25519.
var ErrNoRawForm = errors.New("token: only Ed25519 keys have a raw public key form")

// PublicRawPEM is the Ed25519 public key as the 32 raw key bytes in a
// "PUBLIC KEY" PEM block (not PKIX): the form github.com/openware/pkg/jwt's
// KeyStoreEdDSA reads, which the platform's Go services use to verify
// EdDSA tokens. Other keys are ErrNoRawForm (their PKIX form is what
// every verifier reads).
func (k *Key) PublicRawPEM() ([]byte, error) {
	pub, ok := k.pub.(ed25519.PublicKey)
	if !ok {
		return nil, ErrNoRawForm
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// PublicKeyPEM encodes a public key as PKIX "PUBLIC KEY" PEM.
func PublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// sign signs input with the key's own algorithm.
func (k *Key) sign(input []byte) ([]byte, error) {
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		sum := sha256Sum(input)
		sig, err := rsa.SignPKCS1v15(nil, p, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("rs256 sign: %w", err)
		}
		return sig, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(p, input), nil
	default:
		return nil, fmt.Errorf("sign: unsupported key type %T", k.priv)
	}
}
