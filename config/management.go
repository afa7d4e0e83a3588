package config

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ManagementAPI is management_api.yml (reference §2.6): who may sign
// management API requests.
type ManagementAPI struct {
	// Keychain maps a signer id (the JWS "kid") to its key.
	Keychain map[string]ManagementKey
	// JWT holds extra claim verification options as written (verify_iss,
	// iss, verify_aud, aud, verify_iat, verify_jti, leeway, …).
	JWT map[string]any
	// Scopes maps a management scope (read_users, write_users, …) to its
	// signers. An endpoint whose scope is absent always refuses.
	Scopes map[string]ManagementScope
}

// ManagementKey is one signer's public key.
type ManagementKey struct {
	// Algorithm is the only JWS algorithm accepted for this key: RS256,
	// RS384, RS512, ES256, ES384, ES512 or EdDSA. When the file omits it,
	// it follows the key (RS256, ES256/384/512 by curve, EdDSA).
	Algorithm string
	// Value is the URL-safe base64 of the PEM public key, as configured.
	Value string
	// PublicKey is Value decoded: *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey.
	PublicKey crypto.PublicKey
}

// ManagementScope lists the signers of one scope. Every mandatory signer
// must sign; signatures of signers not permitted are ignored.
type ManagementScope struct {
	PermittedSigners []string
	MandatorySigners []string
}

// ManagementAlgorithms are the algorithms a keychain entry may pin.
var ManagementAlgorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"}

type managementYAML struct {
	Keychain map[string]struct {
		Algorithm string `yaml:"algorithm"`
		Value     string `yaml:"value"`
	} `yaml:"keychain"`
	JWT    map[string]any `yaml:"jwt"`
	Scopes map[string]struct {
		PermittedSigners []string `yaml:"permitted_signers"`
		MandatorySigners []string `yaml:"mandatory_signers"`
	} `yaml:"scopes"`
}

// parseManagementAPI parses and validates management_api.yml.
func parseManagementAPI(data []byte) (ManagementAPI, []string) {
	var f managementYAML
	if problems := decodeYAML(data, &f); problems != nil {
		return ManagementAPI{}, problems
	}
	m := ManagementAPI{
		Keychain: map[string]ManagementKey{},
		JWT:      f.JWT,
		Scopes:   map[string]ManagementScope{},
	}
	if m.JWT == nil {
		m.JWT = map[string]any{}
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	for _, id := range slices.Sorted(maps.Keys(f.Keychain)) {
		k := f.Keychain[id]
		pub, err := decodePublicKey(k.Value)
		if err != nil {
			fail("keychain.%s: %v", id, err)
			continue
		}
		alg := k.Algorithm
		if alg == "" {
			alg = defaultAlgorithm(pub)
		}
		if err := checkAlgorithm(alg, pub); err != nil {
			fail("keychain.%s: %v", id, err)
			continue
		}
		m.Keychain[id] = ManagementKey{Algorithm: alg, Value: k.Value, PublicKey: pub}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Scopes)) {
		s := f.Scopes[name]
		if len(s.MandatorySigners) == 0 {
			fail("scopes.%s: mandatory_signers is empty", name)
		}
		for _, id := range s.PermittedSigners {
			if _, ok := f.Keychain[id]; !ok {
				fail("scopes.%s: permitted signer %q is not in the keychain", name, id)
			}
		}
		for _, id := range s.MandatorySigners {
			if !slices.Contains(s.PermittedSigners, id) {
				fail("scopes.%s: mandatory signer %q is not a permitted signer", name, id)
			}
		}
		m.Scopes[name] = ManagementScope{PermittedSigners: s.PermittedSigners, MandatorySigners: s.MandatorySigners}
	}
	return m, problems
}

// decodePublicKey decodes URL-safe base64 (padding optional; the standard
// alphabet is tolerated, as Ruby's urlsafe_decode64 does) of a PEM public
// key. Private keys are refused.
func decodePublicKey(value string) (crypto.PublicKey, error) {
	s := strings.Join(strings.Fields(value), "")
	if s == "" {
		return nil, errors.New("value is empty")
	}
	s = strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(s, "="))
	if r := len(s) % 4; r != 0 {
		s += strings.Repeat("=", 4-r)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("value is not URL-safe base64")
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("value is not a PEM key")
	}
	switch {
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, errors.New("value is a private key; configure the public key")
	case block.Type == "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("value is not a valid public key: %w", err)
		}
		return pub, nil
	case block.Type == "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("value is not a valid RSA public key: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("value holds a PEM %q block, not a public key", block.Type)
}

func defaultAlgorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
		return "ES256"
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

// checkAlgorithm verifies that alg is supported and fits the key.
func checkAlgorithm(alg string, pub crypto.PublicKey) error {
	if !slices.Contains(ManagementAlgorithms, alg) {
		return fmt.Errorf("algorithm %q is not one of %s", alg, strings.Join(ManagementAlgorithms, ", "))
	}
	var ok bool
	switch k := pub.(type) {
	case *rsa.PublicKey:
		ok = strings.HasPrefix(alg, "RS")
	case *ecdsa.PublicKey:
		ok = alg == map[elliptic.Curve]string{
			elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512",
		}[k.Curve]
	case ed25519.PublicKey:
		ok = alg == "EdDSA"
	default:
		return fmt.Errorf("key type %T is not supported", pub)
	}
	if !ok {
		return fmt.Errorf("algorithm %s does not fit its %s key", alg, keyKind(pub))
	}
	return nil
}

func keyKind(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
