package token

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// EventKID is the signer id of Barong's event signatures.
const EventKID = "barong"

// EventTTL is the lifetime of an event envelope (exp = iat + EventTTL).
const EventTTL = time.Hour

// EventClaims are the decoded claims of an event envelope.
type EventClaims struct {
	Issuer    string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Event is the event object exactly as signed (it carries "name").
	Event json.RawMessage
}

type eventWire struct {
	Iss   string `json:"iss"`
	JTI   string `json:"jti"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
	Event any    `json:"event"`
}

type eventIn struct {
	claimSet
	Event json.RawMessage `json:"event"`
}

// SignEvent wraps event (marshalled as-is, e.g. a struct or json.RawMessage
// holding "name") in Barong's claims iss "barong", jti (UUID v4), iat, exp
// (iat + 1 h), event, and returns the RabbitMQ message body: a general JWS
// {"payload":...,"signatures":[{"header":{"kid":"barong"},"protected":...,
// "signature":...}]} signed with the ring's signing key over exactly the
// payload bytes it carries.
func (r *Keyring) SignEvent(event any, now time.Time) ([]byte, error) {
	k, err := r.signer()
	if err != nil {
		return nil, fmt.Errorf("sign event: %w", err)
	}
	iat := now.Unix()
	claims, err := marshalJSON(eventWire{Issuer, newUUIDv4(), iat, iat + int64(EventTTL/time.Second), event})
	if err != nil {
		return nil, fmt.Errorf("sign event: %w", err)
	}
	body, err := SignGeneral(claims, EventKID, k)
	if err != nil {
		return nil, fmt.Errorf("sign event: %w", err)
	}
	return body, nil
}

// VerifyEvent verifies an event body as Barong's consumers do: a signature
// by kid "barong" with pub under pub's algorithm (RS256 or EdDSA), exp
// (required) and nbf, iss "barong", jti present. Errors are *VerifyError.
func VerifyEvent(body []byte, pub crypto.PublicKey, now time.Time) (*EventClaims, error) {
	alg, err := PublicKeyAlgorithm(pub)
	if err != nil {
		return nil, fmt.Errorf("verify event: %w", err)
	}
	payload, _, err := VerifyGeneral(body, []VerifyKey{{KID: EventKID, Algorithm: alg, Public: pub}})
	if err != nil {
		return nil, err
	}
	var in eventIn
	if !isJSONObject(payload) {
		return nil, verr(WordEncoding, errors.New("event claims: not a JSON object"))
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("event claims: %w", err))
	}
	checks := ClaimChecks{Issuer: Issuer, JTI: true, RequireExp: true}
	if e := checks.check(&in.claimSet, now); e != nil {
		return nil, e
	}
	return &EventClaims{
		Issuer:    Issuer,
		JTI:       claimText(in.Jti),
		IssuedAt:  claimTime(in.Iat),
		ExpiresAt: claimTime(in.Exp),
		Event:     in.Event,
	}, nil
}
