package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

type testEvent struct {
	Record map[string]string `json:"record"`
	Name   string            `json:"name"`
}

func TestSignEventExactShape(t *testing.T) {
	t.Parallel()
	r, _, _ := testKeys(t)
	ring := mustRing(t, r)
	ev := testEvent{Record: map[string]string{"email": "a<b>&c@x.io"}, Name: "model.user.created"}
	body, err := ring.SignEvent(ev, testNow)
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^\{"payload":"([A-Za-z0-9_-]+)","signatures":\[\{"header":\{"kid":"barong"\},"protected":"eyJhbGciOiJSUzI1NiJ9","signature":"([A-Za-z0-9_-]+)"\}\]\}$`)
	m := shape.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("body shape:\n%s", body)
	}
	payload, err := b64.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^\{"iss":"barong","jti":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","iat":1700000000,"exp":1700003600,"event":\{"record":\{"email":"a<b>&c@x.io"\},"name":"model.user.created"\}\}$`)
	if !want.Match(payload) {
		t.Fatalf("payload = %s", payload)
	}
	// Standard JWS check, independent of this package: RS256 over
	// protected "." payload as carried.
	sig, err := b64.DecodeString(m[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("eyJhbGciOiJSUzI1NiJ9." + m[1]))
	if err := rsa.VerifyPKCS1v15(r.Public().(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature does not cover the payload bytes: %v", err)
	}

	got, err := VerifyEvent(body, r.Public(), testNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Event) != `{"record":{"email":"a<b>&c@x.io"},"name":"model.user.created"}` || got.Issuer != "barong" ||
		len(got.JTI) != 36 || !got.ExpiresAt.Equal(testNow.Add(EventTTL)) {
		t.Fatalf("claims = %+v (event %s)", got, got.Event)
	}

	raw, err := ring.SignEvent(json.RawMessage(`{"z":1, "a":2,"name":"system.x"}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := VerifyEvent(raw, r.Public(), testNow); err != nil || string(got.Event) != `{"z":1,"a":2,"name":"system.x"}` {
		t.Fatalf("raw event: %+v, %v", got, err)
	}
}

func TestVerifyEventRejects(t *testing.T) {
	t.Parallel()
	r, other, ed := testKeys(t)
	body, err := mustRing(t, r).SignEvent(testEvent{Name: "x"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyEvent(body, other.Public(), testNow)
	wantWord(t, err, WordRaised)
	_, err = VerifyEvent(body, ed.Public(), testNow)
	wantWord(t, err, WordAlgorithm)
	_, err = VerifyEvent(body, r.Public(), testNow.Add(EventTTL))
	wantWord(t, err, WordExpired)

	edBody, err := mustRing(t, ed).SignEvent(testEvent{Name: "x"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(edBody), `"protected":"`+b64.EncodeToString([]byte(`{"alg":"EdDSA"}`))+`"`) {
		t.Fatalf("Ed25519 event protected header: %s", edBody)
	}
	if _, err := VerifyEvent(edBody, ed.Public(), testNow); err != nil {
		t.Fatalf("Ed25519 event: %v", err)
	}
}

// es256Sign signs a general JWS signature with ECDSA in JWS r||s form.
func es256Sign(t *testing.T, k *ecdsa.PrivateKey, input string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(input))
	rr, ss, err := ecdsa.Sign(rand.Reader, k, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return b64.EncodeToString(sig)
}

func TestGeneralMultisig(t *testing.T) {
	t.Parallel()
	r, other, ed := testKeys(t)
	payload := []byte(`{"iat":1700000000,"exp":1700000060,"data":{"uid":"ID1"}}`)
	body, err := SignGeneral(payload, "applogic", r)
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseGeneral(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Sign("finex", ed); err != nil {
		t.Fatal(err)
	}
	if err := j.Sign("stranger", other); err != nil { // unknown kid: ignored
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	esProt := b64.EncodeToString([]byte(`{"alg":"ES256"}`))
	j.Signatures = append(j.Signatures, GeneralSignature{
		Header: json.RawMessage(`{"kid":"ec"}`), Protected: esProt,
		Signature: es256Sign(t, ecKey, esProt+"."+j.Payload),
	})
	multi, err := j.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	keys := []VerifyKey{
		{KID: "applogic", Algorithm: AlgRS256, Public: r.Public()},
		{KID: "finex", Algorithm: AlgEdDSA, Public: ed.Public()},
		{KID: "ec", Algorithm: AlgES256, Public: &ecKey.PublicKey},
		{KID: "absent", Algorithm: AlgRS256, Public: other.Public()},
	}
	got, signers, err := VerifyGeneral(multi, keys)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(payload) || strings.Join(signers, ",") != "applogic,finex,ec" {
		t.Fatalf("payload %s signers %v", got, signers)
	}
	if err := (ClaimChecks{}).Validate(got, time.Unix(1700000000, 0)); err != nil {
		t.Fatalf("claims: %v", err)
	}
	wantWord(t, ClaimChecks{}.Validate(got, time.Unix(1700000060, 0)), WordExpired)

	// Re-signing replaces a signer's earlier signature.
	if err := j.Sign("finex", ed); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range j.Signatures {
		if s.KID() == "finex" {
			n++
		}
	}
	if n != 1 || len(j.Signatures) != 4 {
		t.Fatalf("after re-sign: %d finex signatures, %d total", n, len(j.Signatures))
	}
}

func TestVerifyGeneralRejects(t *testing.T) {
	t.Parallel()
	r, other, _ := testKeys(t)
	payload := []byte(`{"data":{}}`)
	pb := b64.EncodeToString(payload)
	keys := []VerifyKey{{KID: "applogic", Algorithm: AlgRS256, Public: r.Public()}}
	sigBody := func(kid, protHeader string, signer *Key, hmacSecret []byte) string {
		prot := b64.EncodeToString([]byte(protHeader))
		var sig string
		if hmacSecret != nil {
			tok := craftHS256(protHeader, string(payload), hmacSecret)
			sig = tok[strings.LastIndexByte(tok, '.')+1:]
		} else {
			s, err := signer.sign([]byte(prot + "." + pb))
			if err != nil {
				t.Fatal(err)
			}
			sig = b64.EncodeToString(s)
		}
		return `{"payload":"` + pb + `","signatures":[{"protected":"` + prot + `","header":{"kid":"` + kid + `"},"signature":"` + sig + `"}]}`
	}
	cases := []struct{ name, body, word string }{
		{"not JSON", `nope`, WordEncoding},
		{"no signatures", `{"payload":"` + pb + `"}`, WordEncoding},
		{"payload not base64", `{"payload":"***","signatures":[]}`, WordEncoding},
		{"signature without kid", `{"payload":"` + pb + `","signatures":[{"protected":"x","header":{},"signature":"x"}]}`, WordEncoding},
		{"only unknown signers", sigBody("stranger", canonicalRSAHead, other, nil), WordRaised},
		{"wrong key for kid", sigBody("applogic", canonicalRSAHead, other, nil), WordRaised},
		{"HS256 keyed with public PEM", sigBody("applogic", `{"alg":"HS256"}`, nil, r.PublicPEM()), WordAlgorithm},
		{"alg none", `{"payload":"` + pb + `","signatures":[{"protected":"` + b64.EncodeToString([]byte(`{"alg":"none"}`)) + `","header":{"kid":"applogic"},"signature":""}]}`, WordAlgorithm},
		{"crit header", sigBody("applogic", `{"alg":"RS256","crit":["exp"]}`, r, nil), WordAlgorithm},
		{"protected not JSON", `{"payload":"` + pb + `","signatures":[{"protected":"eA","header":{"kid":"applogic"},"signature":"eA"}]}`, WordEncoding},
	}
	for _, tc := range cases {
		_, _, err := VerifyGeneral([]byte(tc.body), keys)
		t.Run(tc.name, func(t *testing.T) { wantWord(t, err, tc.word) })
	}
	if _, _, err := VerifyGeneral([]byte(sigBody("applogic", canonicalRSAHead, r, nil)), keys); err != nil {
		t.Fatalf("valid body: %v", err)
	}
	// A key whose pinned algorithm does not fit it is a configuration error.
	if _, _, err := VerifyGeneral([]byte(sigBody("applogic", canonicalRSAHead, r, nil)),
		[]VerifyKey{{KID: "applogic", Algorithm: "HS256", Public: r.Public()}}); err == nil {
		t.Fatal("HS256 verification key accepted")
	}
}

func TestCheckAlgorithmKey(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]crypto.PublicKey{AlgRS256: r.Public(), AlgRS512: r.Public(), AlgEdDSA: ed.Public(), AlgES384: &ec.PublicKey}
	for alg, pub := range good {
		if err := CheckAlgorithmKey(alg, pub); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
	bad := map[string]crypto.PublicKey{AlgRS256: ed.Public(), AlgEdDSA: r.Public(), AlgES256: &ec.PublicKey, "HS256": r.Public(), "none": r.Public()}
	for alg, pub := range bad {
		if err := CheckAlgorithmKey(alg, pub); err == nil {
			t.Errorf("%s with %T accepted", alg, pub)
		}
	}
}

func TestRandomHelpers(t *testing.T) {
	t.Parallel()
	hexRe := regexp.MustCompile(`^[0-9a-f]{20}$`)
	seen := map[string]bool{}
	for range 100 {
		h := HexN(10)
		if !hexRe.MatchString(h) || seen[h] {
			t.Fatalf("HexN(10) = %q (duplicate: %v)", h, seen[h])
		}
		seen[h] = true
	}
	if HexN(0) != "" || len(HexN(32)) != 64 {
		t.Fatal("HexN lengths")
	}
	uuidRe := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if u := newUUIDv4(); !uuidRe.MatchString(u) {
		t.Fatalf("uuid = %q", u)
	}
}
