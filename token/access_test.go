package token

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

func strPtr(s string) *string { return &s }
func i64Ptr(n int64) *int64   { return &n }

func TestIssueAccessExactBytes(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	ring := mustRing(t, r)
	const pre = `^\{"iat":1700000000,"exp":1700003600,"sub":"session","iss":"barong","aud":\["peatio","barong"\],"jti":"[0-9a-f]{20}",`
	cases := []struct {
		name   string
		claims AccessClaims
		want   string
	}{
		{"user with nulls",
			AccessClaims{UID: "ID30DD0DD986", Email: "a@b.io", Role: "member", Level: 1, State: "active"},
			pre + `"uid":"ID30DD0DD986","username":null,"email":"a@b.io","role":"member","level":1,"state":"active","referral_id":null\}$`},
		{"user with values and HTML characters",
			AccessClaims{UID: "ID1", Username: strPtr("nick<&>"), Email: "a&b@x.io", Role: "admin", Level: 3, State: "pending", ReferralID: i64Ptr(42)},
			pre + `"uid":"ID1","username":"nick<&>","email":"a&b@x.io","role":"admin","level":3,"state":"pending","referral_id":42\}$`},
		{"service account",
			AccessClaims{UID: "SI0123456789", Username: strPtr("ignored"), ReferralID: i64Ptr(1), Email: "sa@b.io", Role: "sa_maker", Level: 2, State: "active", ServiceAccount: true},
			pre + `"uid":"SI0123456789","email":"sa@b.io","role":"sa_maker","level":2,"state":"active"\}$`},
	}
	for _, tc := range cases {
		tok, err := ring.IssueAccess(tc.claims, testNow.Add(900*time.Millisecond), testTTL)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		h, c := segments(t, tok)
		if h != canonicalRSAHead {
			t.Fatalf("%s: header = %s", tc.name, h)
		}
		if !regexp.MustCompile(tc.want).MatchString(c) {
			t.Fatalf("%s: claims =\n%s\nwant match\n%s", tc.name, c, tc.want)
		}
	}

	edTok, err := mustRing(t, ed).IssueAccess(cases[0].claims, testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := segments(t, edTok); h != `{"alg":"EdDSA"}` {
		t.Fatalf("Ed25519 header = %s", h)
	}
	if _, err := ring.IssueAccess(cases[0].claims, testNow, 0); err == nil {
		t.Fatal("zero TTL accepted")
	}
}

func TestAccessRoundTrip(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	for _, k := range []*Key{r, ed} {
		ring := mustRing(t, k)
		in := AccessClaims{UID: "ID1", Username: strPtr("nick"), Email: "a@b.io", Role: "member", Level: 2, State: "active", ReferralID: i64Ptr(7)}
		tok, err := ring.IssueAccess(in, testNow, testTTL)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ring.VerifyAccess(tok, testNow.Add(testTTL-time.Second))
		if err != nil {
			t.Fatalf("%s: %v", k.Algorithm(), err)
		}
		if got.UID != in.UID || *got.Username != "nick" || got.Email != in.Email || got.Role != in.Role ||
			got.Level != 2 || got.State != in.State || *got.ReferralID != 7 || got.ServiceAccount {
			t.Fatalf("%s: claims = %+v", k.Algorithm(), got)
		}
		if len(got.JTI) != 20 || !got.IssuedAt.Equal(testNow) || !got.ExpiresAt.Equal(testNow.Add(testTTL)) {
			t.Fatalf("%s: jti/iat/exp = %q %v %v", k.Algorithm(), got.JTI, got.IssuedAt, got.ExpiresAt)
		}

		sa, err := ring.IssueAccess(AccessClaims{UID: "SI1", Email: "s@b.io", Role: "sa_maker", State: "active", ServiceAccount: true}, testNow, testTTL)
		if err != nil {
			t.Fatal(err)
		}
		gotSA, err := ring.VerifyAccess(sa, testNow)
		if err != nil || !gotSA.ServiceAccount || gotSA.Username != nil || gotSA.ReferralID != nil {
			t.Fatalf("service account: %+v, %v", gotSA, err)
		}
	}
}

func TestVerifyAccessRejects(t *testing.T) {
	t.Parallel()
	r, other, ed := testKeys(t)
	ring := mustRing(t, r)
	good, err := ring.IssueAccess(AccessClaims{UID: "ID1", Email: "a@b.io", Role: "member", State: "active"}, testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	iat := strconv.FormatInt(testNow.Unix(), 10)
	exp := strconv.FormatInt(testNow.Add(testTTL).Unix(), 10)
	std := `"iat":` + iat + `,"exp":` + exp + `,"sub":"session","iss":"barong","aud":["peatio","barong"],"jti":"abc"`
	claims := `{` + std + `,"uid":"ID1"}`
	pubPEM := r.PublicPEM()

	cases := []struct {
		name string
		tok  string
		now  time.Time
		word string
	}{
		{"expired at exp", good, testNow.Add(testTTL), WordExpired},
		{"iat in the future", good, testNow.Add(-time.Second), WordIat},
		{"alg none", b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + b64.EncodeToString([]byte(claims)) + ".", testNow, WordSegments},
		{"alg none with junk signature", b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + b64.EncodeToString([]byte(claims)) + ".eA", testNow, WordAlgorithm},
		{"HS256 keyed with public PEM", craftHS256(`{"alg":"HS256"}`, claims, pubPEM), testNow, WordAlgorithm},
		{"EdDSA header on an RSA ring", craft(t, ed, `{"alg":"EdDSA"}`, claims), testNow, WordAlgorithm},
		{"other RSA key", craft(t, other, canonicalRSAHead, claims), testNow, WordRaised},
		{"Ed25519 signature under RS256 header", craft(t, ed, canonicalRSAHead, claims), testNow, WordRaised},
		{"missing jti", craft(t, r, canonicalRSAHead, `{"iat":`+iat+`,"exp":`+exp+`,"sub":"session"}`), testNow, WordJTI},
		{"missing exp", craft(t, r, canonicalRSAHead, `{"iat":`+iat+`,"sub":"session","jti":"x"}`), testNow, WordExpired},
		{"nbf not reached", craft(t, r, canonicalRSAHead, `{`+std+`,"nbf":`+exp+`}`), testNow, WordReached},
		{"string iat", craft(t, r, canonicalRSAHead, `{"iat":"1","exp":`+exp+`,"sub":"session","jti":"x"}`), testNow, WordIat},
		{"confirmation token", craft(t, r, canonicalRSAHead, `{"iat":`+iat+`,"exp":`+exp+`,"sub":"confirmation","jti":"x"}`), testNow, "confirmation"},
		{"no sub", craft(t, r, canonicalRSAHead, `{"iat":`+iat+`,"exp":`+exp+`,"jti":"x"}`), testNow, "<none>"},
		{"level not a number", craft(t, r, canonicalRSAHead, `{`+std+`,"level":"1"}`), testNow, WordEncoding},
	}
	for _, tc := range cases {
		_, err := ring.VerifyAccess(tc.tok, tc.now)
		t.Run(tc.name, func(t *testing.T) { wantWord(t, err, tc.word) })
	}

	// Tampering with any byte of the claims breaks the signature.
	tampered := []byte(good)
	mid := len(canonicalRSAHead) + 10
	tampered[mid] ^= 0x01
	if _, err := ring.VerifyAccess(string(tampered), testNow); err == nil {
		t.Fatal("tampered token accepted")
	}

	// A header with extra members takes the slow path and still verifies.
	typed := craft(t, r, `{"typ":"JWT","alg":"RS256"}`, claims)
	if _, err := ring.VerifyAccess(typed, testNow); err != nil {
		t.Fatalf("typ header: %v", err)
	}
}

func TestAccessPolicy(t *testing.T) {
	t.Parallel()
	r, _, _ := testKeys(t)
	base := mustRing(t, r)
	tok, err := base.IssueAccess(AccessClaims{UID: "ID1"}, testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	ok := base.WithAccessPolicy(AccessPolicy{Issuer: "barong", Audience: []string{"peatio"}})
	if _, err := ok.VerifyAccess(tok, testNow); err != nil {
		t.Fatalf("matching policy: %v", err)
	}
	_, err = base.WithAccessPolicy(AccessPolicy{Issuer: "other"}).VerifyAccess(tok, testNow)
	wantWord(t, err, "barong") // ruby-jwt: "Invalid issuer. Expected other, received barong"
	_, err = base.WithAccessPolicy(AccessPolicy{Audience: []string{"finex"}}).VerifyAccess(tok, testNow)
	wantWord(t, err, `"barong"]`) // "... received [\"peatio\", \"barong\"]"

	// Leeways: 10 s past exp and 10 s before iat pass with 30 s of leeway.
	lenient := base.WithAccessPolicy(AccessPolicy{Leeway: 30 * time.Second})
	if _, err := lenient.VerifyAccess(tok, testNow.Add(testTTL+10*time.Second)); err != nil {
		t.Fatalf("exp leeway: %v", err)
	}
	if _, err := lenient.VerifyAccess(tok, testNow.Add(-10*time.Second)); err != nil {
		t.Fatalf("iat leeway: %v", err)
	}
	strictExp := base.WithAccessPolicy(AccessPolicy{Leeway: 30 * time.Second, ExpirationLeeway: time.Second})
	_, err = strictExp.VerifyAccess(tok, testNow.Add(testTTL+10*time.Second))
	wantWord(t, err, WordExpired)
	// The base ring is unchanged.
	if _, err := base.VerifyAccess(tok, testNow.Add(-10*time.Second)); err == nil {
		t.Fatal("WithAccessPolicy modified the original ring")
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	newKey, oldKey, ed := testKeys(t)
	oldTok, err := mustRing(t, oldKey).IssueAccess(AccessClaims{UID: "ID1"}, testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	edTok, err := mustRing(t, ed).IssueAccess(AccessClaims{UID: "ID1"}, testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustRing(t, newKey, oldKey, ed)
	for name, tok := range map[string]string{"old RSA": oldTok, "Ed25519": edTok} {
		if _, err := rotated.VerifyAccess(tok, testNow); err != nil {
			t.Fatalf("%s token on rotated ring: %v", name, err)
		}
	}
	_, err = mustRing(t, newKey).VerifyAccess(oldTok, testNow)
	wantWord(t, err, WordRaised)

	verifyOnly, err := NewKeyring(nil, oldKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyOnly.VerifyAccess(oldTok, testNow); err != nil {
		t.Fatalf("verification-only ring: %v", err)
	}
	if _, err := verifyOnly.IssueAccess(AccessClaims{}, testNow, testTTL); err == nil {
		t.Fatal("verification-only ring issued a token")
	}
	if _, err := NewKeyring(nil); err == nil {
		t.Fatal("empty keyring accepted")
	}
	if _, err := NewKeyring(newKey, "not a key"); err == nil {
		t.Fatal("bogus verification key accepted")
	}
}
