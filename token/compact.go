package token

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// verifier is one public key with the algorithm pinned to it.
type verifier struct {
	alg    string
	pub    crypto.PublicKey
	header string // base64url of the canonical {"alg":...} header
}

// signCompact returns base64url(header) "." base64url(claims) "." signature,
// with header exactly {"alg":"<key algorithm>"}.
func (k *Key) signCompact(claims []byte) (string, error) {
	hdr := headerB64[k.alg]
	buf := make([]byte, 0, len(hdr)+1+b64.EncodedLen(len(claims))+1+b64.EncodedLen(512))
	buf = append(buf, hdr...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, claims)
	sig, err := k.sign(buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// verifyCompact checks a compact JWS against the verifiers, in ruby-jwt's
// order (segments, header encoding, algorithm, signature, claims encoding),
// and returns the decoded claims JSON. The header's alg must equal the
// algorithm pinned to a verifier; only those verifiers are tried.
func verifyCompact(vs []verifier, tok string) ([]byte, *VerifyError) {
	h, rest, ok1 := strings.Cut(tok, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || s == "" || strings.IndexByte(s, '.') >= 0 {
		return nil, verr(WordSegments, nil)
	}

	// Fast path: the exact header this package emits.
	var alg string
	for i := range vs {
		if vs[i].header == h {
			alg = vs[i].alg
			break
		}
	}
	if alg == "" {
		a, e := headerAlg(h)
		if e != nil {
			return nil, e
		}
		alg = a
	}

	sig, err := b64.DecodeString(s)
	if err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("signature: %w", err))
	}
	input := []byte(tok[:len(h)+1+len(p)])
	matched, verified := false, false
	for i := range vs {
		if vs[i].alg != alg {
			continue
		}
		matched = true
		if verifySignature(alg, vs[i].pub, input, sig) {
			verified = true
			break
		}
	}
	if !matched {
		return nil, verr(WordAlgorithm, nil)
	}
	if !verified {
		return nil, verr(WordRaised, nil)
	}

	claims, err := b64.DecodeString(p)
	if err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("claims: %w", err))
	}
	if !isJSONObject(claims) {
		return nil, verr(WordEncoding, errors.New("claims: not a JSON object"))
	}
	return claims, nil
}

// headerAlg decodes a compact header segment and returns its "alg". A header
// that is not a base64url JSON object is an encoding error; a missing or
// non-string alg is an algorithm error.
func headerAlg(seg string) (string, *VerifyError) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return "", verr(WordEncoding, fmt.Errorf("header: %w", err))
	}
	var hdr map[string]json.RawMessage
	if !isJSONObject(raw) || json.Unmarshal(raw, &hdr) != nil {
		return "", verr(WordEncoding, errors.New("header: not a JSON object"))
	}
	var alg string
	if json.Unmarshal(hdr["alg"], &alg) != nil || alg == "" {
		return "", verr(WordAlgorithm, nil)
	}
	return alg, nil
}

// isJSONObject reports whether b starts, after white space, with '{'. The
// caller's json.Unmarshal (which validates the whole input before decoding)
// then rejects anything that is not a well-formed object.
func isJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}
