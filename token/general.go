package token

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// GeneralJWS is a JWS in JSON general serialization (RFC 7515 §7.2.1), the
// body of events and of management API requests. Fields marshal in the order
// payload, signatures; each signature as header, protected, signature.
type GeneralJWS struct {
	Payload    string             `json:"payload"`
	Signatures []GeneralSignature `json:"signatures"`
}

// GeneralSignature is one signature of a GeneralJWS. Header is the
// unprotected header, kept as raw JSON so that other signers' headers
// survive a round trip byte for byte.
type GeneralSignature struct {
	Header    json.RawMessage `json:"header"`
	Protected string          `json:"protected"`
	Signature string          `json:"signature"`
}

// KID returns the "kid" of the unprotected header ("" if absent).
func (s *GeneralSignature) KID() string {
	kid, _ := headerKID(s.Header)
	return kid
}

// VerifyKey is a public key accepted for one signer id, with the algorithm
// pinned by configuration: the header's alg must equal it.
type VerifyKey struct {
	KID       string
	Algorithm string // RS256, RS384, RS512, ES256, ES384, ES512 or EdDSA
	Public    crypto.PublicKey
}

// ParseGeneral decodes a general-serialization JWS. It checks the shape only
// (a payload string and a signatures array); nothing is verified.
func ParseGeneral(body []byte) (*GeneralJWS, error) {
	if !isJSONObject(body) {
		return nil, verr(WordEncoding, errors.New("jws: not a JSON object"))
	}
	var j struct {
		Payload    *string            `json:"payload"`
		Signatures []GeneralSignature `json:"signatures"`
	}
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("jws: %w", err))
	}
	if j.Payload == nil || j.Signatures == nil {
		return nil, verr(WordEncoding, errors.New("jws: payload or signatures missing"))
	}
	return &GeneralJWS{Payload: *j.Payload, Signatures: j.Signatures}, nil
}

// SignGeneral returns a general-serialization JWS of payload (embedded as
// base64url of exactly these bytes) with one signature: unprotected header
// {"kid":kid}, protected header {"alg":"<key algorithm>"}.
func SignGeneral(payload []byte, kid string, key *Key) ([]byte, error) {
	j := &GeneralJWS{Payload: b64.EncodeToString(payload)}
	if err := j.Sign(kid, key); err != nil {
		return nil, err
	}
	return j.Marshal()
}

// Sign removes any signature whose header kid is kid and appends a new one
// by key over the current payload (what the management API's otp/sign does
// with kid "barong").
func (j *GeneralJWS) Sign(kid string, key *Key) error {
	if key == nil {
		return errors.New("jws sign: no key")
	}
	hdr, err := marshalJSON(struct {
		KID string `json:"kid"`
	}{kid})
	if err != nil {
		return fmt.Errorf("jws sign: %w", err)
	}
	prot := headerB64[key.alg]
	sig, err := key.sign([]byte(prot + "." + j.Payload))
	if err != nil {
		return fmt.Errorf("jws sign: %w", err)
	}
	kept := j.Signatures[:0:0]
	for _, s := range j.Signatures {
		if s.KID() != kid {
			kept = append(kept, s)
		}
	}
	j.Signatures = append(kept, GeneralSignature{Header: hdr, Protected: prot, Signature: b64.EncodeToString(sig)})
	return nil
}

// ReservedSubject reports whether j's payload carries the subject of one of
// barong's own compact tokens (session, confirmation, reset), read as their
// verifiers read it. Sign puts the protected header of those tokens over
// the payload: signed with the JWT key, such a payload would be one of
// them (protected + "." + payload + "." + signature).
func (j *GeneralJWS) ReservedSubject() (string, bool) {
	raw, err := b64.DecodeString(j.Payload)
	if err != nil {
		return "", false
	}
	var cs claimSet
	if json.Unmarshal(raw, &cs) != nil {
		return "", false
	}
	switch sub, _ := jsonString(cs.Sub); sub {
	case SubSession, SubConfirmation, SubReset:
		return sub, true
	}
	return "", false
}

// Marshal encodes the JWS (no HTML escaping).
func (j *GeneralJWS) Marshal() ([]byte, error) {
	b, err := marshalJSON(j)
	if err != nil {
		return nil, fmt.Errorf("jws marshal: %w", err)
	}
	return b, nil
}

// VerifyGeneral verifies a general-serialization JWS and returns its decoded
// payload and the ids of the signers whose signature verified, in order of
// appearance. Each signature is matched by its header kid against keys;
// signatures by unknown kids are ignored, but every signature by a known kid
// must verify, under the algorithm pinned in its VerifyKey (a protected
// header naming another algorithm, or carrying "crit", is refused). The
// signing input is the received protected and payload text. At least one
// signature must verify. Registered claims are not checked: apply
// ClaimChecks.Validate to the payload. Errors are *VerifyError.
func VerifyGeneral(body []byte, keys []VerifyKey) (payload []byte, signers []string, err error) {
	j, err := ParseGeneral(body)
	if err != nil {
		return nil, nil, err
	}
	byKID := make(map[string][]VerifyKey, len(keys))
	for _, k := range keys {
		if e := CheckAlgorithmKey(k.Algorithm, k.Public); e != nil {
			return nil, nil, fmt.Errorf("verify jws: key %q: %w", k.KID, e)
		}
		byKID[k.KID] = append(byKID[k.KID], k)
	}
	payload, derr := b64.DecodeString(j.Payload)
	if derr != nil {
		return nil, nil, verr(WordEncoding, fmt.Errorf("jws payload: %w", derr))
	}
	for i := range j.Signatures {
		s := &j.Signatures[i]
		kid, ok := headerKID(s.Header)
		if !ok {
			return nil, nil, verr(WordEncoding, fmt.Errorf("jws signature %d: header without kid", i))
		}
		cands := byKID[kid]
		if len(cands) == 0 {
			continue
		}
		if e := verifyGeneralSig(s, j.Payload, cands); e != nil {
			return nil, nil, e
		}
		if !slices.Contains(signers, kid) {
			signers = append(signers, kid)
		}
	}
	if len(signers) == 0 {
		return nil, nil, verr(WordRaised, errors.New("no signature by a known key"))
	}
	return payload, signers, nil
}

// headerKID returns the string kid of an unprotected header.
func headerKID(h json.RawMessage) (string, bool) {
	if !isJSONObject(h) {
		return "", false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(h, &m) != nil {
		return "", false
	}
	kid, ok := jsonString(m["kid"])
	return kid, ok && kid != ""
}

func verifyGeneralSig(s *GeneralSignature, payloadB64 string, cands []VerifyKey) *VerifyError {
	raw, err := b64.DecodeString(s.Protected)
	if err != nil {
		return verr(WordEncoding, fmt.Errorf("jws protected header: %w", err))
	}
	var prot map[string]json.RawMessage
	if !isJSONObject(raw) || json.Unmarshal(raw, &prot) != nil {
		return verr(WordEncoding, errors.New("jws protected header: not a JSON object"))
	}
	if _, ok := prot["crit"]; ok {
		return verr(WordAlgorithm, errors.New("jws protected header: crit not supported"))
	}
	alg, _ := jsonString(prot["alg"])
	sig, err := b64.DecodeString(s.Signature)
	if err != nil {
		return verr(WordEncoding, fmt.Errorf("jws signature: %w", err))
	}
	input := []byte(s.Protected + "." + payloadB64)
	matched := false
	for _, k := range cands {
		if k.Algorithm != alg {
			continue
		}
		matched = true
		if verifySignature(alg, k.Public, input, sig) {
			return nil
		}
	}
	if !matched {
		return verr(WordAlgorithm, nil)
	}
	return verr(WordRaised, nil)
}
