package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"
)

// Algorithms VerifyGeneral accepts when a caller pins them to a key. Signing
// always uses the key's own algorithm (RS256 or EdDSA).
const (
	AlgRS384 = "RS384"
	AlgRS512 = "RS512"
	AlgES256 = "ES256"
	AlgES384 = "ES384"
	AlgES512 = "ES512"
)

// headerB64 maps an algorithm to base64url({"alg":"<alg>"}), the only header
// this package emits and the fast path of compact verification.
var headerB64 = map[string]string{
	AlgRS256: b64.EncodeToString([]byte(`{"alg":"RS256"}`)),
	AlgEdDSA: b64.EncodeToString([]byte(`{"alg":"EdDSA"}`)),
}

// CheckAlgorithmKey reports whether alg can be verified with pub: RS* with an
// RSA key of at least MinRSABits, ES256/384/512 with an ECDSA key on P-256,
// P-384, P-521 respectively, EdDSA with an Ed25519 key.
func CheckAlgorithmKey(alg string, pub crypto.PublicKey) error {
	switch alg {
	case AlgRS256, AlgRS384, AlgRS512:
		p, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("algorithm %s needs an RSA key, got %T", alg, pub)
		}
		if p.N == nil || p.N.BitLen() < MinRSABits {
			return fmt.Errorf("algorithm %s: rsa key shorter than %d bits", alg, MinRSABits)
		}
		return nil
	case AlgES256, AlgES384, AlgES512:
		p, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("algorithm %s needs an ECDSA key, got %T", alg, pub)
		}
		if want := ecCurveBits(alg); p.Curve == nil || p.Curve.Params().BitSize != want {
			return fmt.Errorf("algorithm %s needs a P-%d key", alg, want)
		}
		return nil
	case AlgEdDSA:
		p, ok := pub.(ed25519.PublicKey)
		if !ok || len(p) != ed25519.PublicKeySize {
			return fmt.Errorf("algorithm %s needs an Ed25519 key, got %T", alg, pub)
		}
		return nil
	default:
		return fmt.Errorf("unsupported algorithm %q", alg)
	}
}

func ecCurveBits(alg string) int {
	switch alg {
	case AlgES256:
		return 256
	case AlgES384:
		return 384
	default:
		return 521
	}
}

// verifySignature checks sig over input with pub under alg. The caller has
// validated the (alg, pub) pair with CheckAlgorithmKey.
func verifySignature(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	switch alg {
	case AlgRS256:
		sum := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, sum[:], sig) == nil
	case AlgRS384:
		sum := sha512.Sum384(input)
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA384, sum[:], sig) == nil
	case AlgRS512:
		sum := sha512.Sum512(input)
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA512, sum[:], sig) == nil
	case AlgES256:
		sum := sha256.Sum256(input)
		return verifyECDSA(pub.(*ecdsa.PublicKey), sum[:], sig)
	case AlgES384:
		sum := sha512.Sum384(input)
		return verifyECDSA(pub.(*ecdsa.PublicKey), sum[:], sig)
	case AlgES512:
		sum := sha512.Sum512(input)
		return verifyECDSA(pub.(*ecdsa.PublicKey), sum[:], sig)
	case AlgEdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	default:
		return false
	}
}

// verifyECDSA checks a JWS ECDSA signature, the fixed-width concatenation
// r || s (RFC 7518 §3.4).
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return ecdsa.Verify(pub, digest, r, s)
}
