// Package token holds barong-go's signing key and every token it issues or
// verifies with that key:
//
//   - the bearer JWT that authz hands to the gateway (compact JWS, header
//     exactly {"alg":"RS256"} or {"alg":"EdDSA"}, Barong's claim order);
//   - the one-time e-mail confirmation and password-reset JWTs, whose
//     verification errors carry Barong's jwt.decode_and_verify.<word> keys;
//   - the event envelope published to RabbitMQ (JWS JSON general
//     serialization, signer "barong");
//   - generic JWS general-serialization signing and verification with an
//     algorithm pinned by the caller, for the management API.
//
// Compact tokens are assembled by hand so that the header and claim bytes
// match Barong's exactly. Verification never trusts the algorithm named in a
// token: every public key carries its own algorithm (RS256 for RSA, EdDSA for
// Ed25519) and a token naming anything else is refused, which rules out
// "alg":"none" and HMAC-with-the-public-key confusion.
//
// Keys are PEM files: PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY" (RSA
// or Ed25519). LoadKey reads one and never generates; CreateKeyFile writes a
// new one without ever replacing a file. A Keyring
// pairs the signing key with extra verification-only public keys for key
// rotation and publishes them all as a JSON Web Key Set.
package token
