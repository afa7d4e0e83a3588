package token

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestOneTimeExactBytes(t *testing.T) {
	t.Parallel()
	r, _, _ := testKeys(t)
	ring := mustRing(t, r)
	conf, err := ring.IssueConfirmation("a&b@x.io", "ID30DD0DD986", testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	reset, err := ring.IssueReset("a@b.io", "ID1", "0123456789abcdef0123", testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tok, want string }{
		{conf, `^\{"iat":1700000000,"exp":1700003600,"sub":"confirmation","iss":"barong","aud":\["peatio","barong"\],"jti":"[0-9a-f]{20}","email":"a&b@x.io","uid":"ID30DD0DD986"\}$`},
		{reset, `^\{"iat":1700000000,"exp":1700003600,"sub":"reset","iss":"barong","aud":\["peatio","barong"\],"jti":"[0-9a-f]{20}","email":"a@b.io","uid":"ID1","reset_token":"0123456789abcdef0123"\}$`},
	} {
		h, c := segments(t, tc.tok)
		if h != canonicalRSAHead {
			t.Fatalf("header = %s", h)
		}
		if !regexp.MustCompile(tc.want).MatchString(c) {
			t.Fatalf("claims =\n%s\nwant match\n%s", c, tc.want)
		}
	}
	if _, err := ring.IssueReset("a@b.io", "ID1", "", testNow, testTTL); err == nil {
		t.Fatal("empty reset_token accepted")
	}
}

func TestOneTimeRoundTrip(t *testing.T) {
	t.Parallel()
	r, _, ed := testKeys(t)
	for _, k := range []*Key{r, ed} {
		ring := mustRing(t, k)
		conf, err := ring.IssueConfirmation("a@b.io", "ID1", testNow, testTTL)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ring.VerifyOneTime(conf, SubConfirmation, testNow.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s confirmation: %v", k.Algorithm(), err)
		}
		if c.Subject != SubConfirmation || c.Email != "a@b.io" || c.UID != "ID1" || len(c.JTI) != 20 ||
			c.ResetToken != "" || !c.ExpiresAt.Equal(testNow.Add(testTTL)) {
			t.Fatalf("confirmation claims = %+v", c)
		}
		reset, err := ring.IssueReset("a@b.io", "ID1", "feed", testNow, testTTL)
		if err != nil {
			t.Fatal(err)
		}
		c, err = ring.VerifyOneTime(reset, SubReset, testNow)
		if err != nil || c.ResetToken != "feed" || c.Subject != SubReset {
			t.Fatalf("%s reset: %+v, %v", k.Algorithm(), c, err)
		}
	}
	if _, err := mustRing(t, r).VerifyOneTime("a.b.c", "", testNow); err == nil {
		t.Fatal("empty expected subject accepted")
	}
}

// TestOneTimeWords checks every jwt.decode_and_verify.<word> Barong answers.
func TestOneTimeWords(t *testing.T) {
	t.Parallel()
	r, other, _ := testKeys(t)
	ring := mustRing(t, r)
	iat := strconv.FormatInt(testNow.Unix(), 10)
	exp := strconv.FormatInt(testNow.Add(testTTL).Unix(), 10)
	// claims builds a confirmation claim set with one member replaced or
	// dropped ("" drops it).
	claims := func(override map[string]string) string {
		members := []struct{ k, v string }{
			{"iat", iat}, {"exp", exp}, {"sub", `"confirmation"`}, {"iss", `"barong"`},
			{"aud", `["peatio","barong"]`}, {"jti", `"0123456789abcdef0123"`}, {"email", `"a@b.io"`}, {"uid", `"ID1"`},
		}
		out := "{"
		first := true
		for _, m := range members {
			v := m.v
			if o, ok := override[m.k]; ok {
				v = o
			}
			if v == "" {
				continue
			}
			if !first {
				out += ","
			}
			first = false
			out += `"` + m.k + `":` + v
		}
		for k, v := range override {
			if k == "nbf" {
				out += `,"nbf":` + v
			}
		}
		return out + "}"
	}
	signed := func(o map[string]string) string { return craft(t, r, canonicalRSAHead, claims(o)) }
	valid := signed(nil)
	if _, err := ring.VerifyOneTime(valid, SubConfirmation, testNow); err != nil {
		t.Fatalf("baseline token: %v", err)
	}
	head := b64.EncodeToString([]byte(canonicalRSAHead))
	body := b64.EncodeToString([]byte(claims(nil)))
	resetTok, err := ring.IssueReset("a@b.io", "ID1", "feed", testNow, testTTL)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, tok string
		now       time.Time
		word      string
	}{
		{"empty", "", testNow, WordSegments},
		{"one segment", "abc", testNow, WordSegments},
		{"two segments", head + "." + body, testNow, WordSegments},
		{"four segments", valid + ".x", testNow, WordSegments},
		{"empty signature", head + "." + body + ".", testNow, WordSegments},
		{"header not base64", "!!." + body + ".sig", testNow, WordEncoding},
		{"header not JSON", b64.EncodeToString([]byte("alg")) + "." + body + ".sig", testNow, WordEncoding},
		{"header JSON array", b64.EncodeToString([]byte(`["RS256"]`)) + "." + body + ".sig", testNow, WordEncoding},
		{"signature not base64", head + "." + body + ".***", testNow, WordEncoding},
		{"claims not JSON", craft(t, r, canonicalRSAHead, "not json"), testNow, WordEncoding},
		{"claims JSON array", craft(t, r, canonicalRSAHead, "[1]"), testNow, WordEncoding},
		{"alg none", b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + body + ".AA", testNow, WordAlgorithm},
		{"alg missing", craft(t, r, `{"typ":"JWT"}`, claims(nil)), testNow, WordAlgorithm},
		{"alg HS256", craftHS256(`{"alg":"HS256"}`, claims(nil), r.PublicPEM()), testNow, WordAlgorithm},
		{"alg lower case", craft(t, r, `{"alg":"rs256"}`, claims(nil)), testNow, WordAlgorithm},
		{"bad signature", craft(t, other, canonicalRSAHead, claims(nil)), testNow, WordRaised},
		{"expired", valid, testNow.Add(testTTL), WordExpired},
		{"exp missing", signed(map[string]string{"exp": ""}), testNow, WordExpired},
		{"exp null", signed(map[string]string{"exp": "null"}), testNow, WordExpired},
		{"nbf in the future", signed(map[string]string{"nbf": exp}), testNow, WordReached},
		{"issuer wrong", signed(map[string]string{"iss": `"peatio"`}), testNow, "peatio"},
		{"issuer missing", signed(map[string]string{"iss": ""}), testNow, "<none>"},
		{"iat in the future", valid, testNow.Add(-time.Second), WordIat},
		{"iat not numeric", signed(map[string]string{"iat": `"now"`}), testNow, WordIat},
		{"jti missing", signed(map[string]string{"jti": ""}), testNow, WordJTI},
		{"jti blank", signed(map[string]string{"jti": `"  "`}), testNow, WordJTI},
		{"audience string", signed(map[string]string{"aud": `"finex"`}), testNow, "finex"},
		{"audience array", signed(map[string]string{"aud": `["finex","rango"]`}), testNow, `"rango"]`},
		{"audience missing", signed(map[string]string{"aud": ""}), testNow, "<none>"},
		{"reset token at confirm endpoint", resetTok, testNow, "reset"},
		{"sub missing", signed(map[string]string{"sub": ""}), testNow, "<none>"},
		{"sub with spaces", signed(map[string]string{"sub": `"pass word"`}), testNow, "word"},
	}
	for _, tc := range cases {
		_, err := ring.VerifyOneTime(tc.tok, SubConfirmation, tc.now)
		t.Run(tc.name, func(t *testing.T) { wantWord(t, err, tc.word) })
	}

	// A single audience member is enough (aud intersects the list).
	if _, err := ring.VerifyOneTime(signed(map[string]string{"aud": `"barong"`}), SubConfirmation, testNow); err != nil {
		t.Fatalf("aud \"barong\": %v", err)
	}
}

func TestVerifyErrorMessages(t *testing.T) {
	t.Parallel()
	e := verr(WordExpired, nil)
	if e.Key() != "jwt.decode_and_verify.expired" || e.Error() != "token: Signature has expired" {
		t.Fatalf("Key/Error = %q / %q", e.Key(), e.Error())
	}
	m := mismatch("subject", "confirmation", []byte(`"reset"`))
	if m.Msg != "Invalid subject. Expected confirmation, received reset" || m.Word != "reset" {
		t.Fatalf("mismatch = %+v", m)
	}
	for raw, want := range map[string]string{
		`null`: "<none>", `false`: "<none>", `true`: "true", `12`: "12",
		`["a",1,null]`: `["a", 1, nil]`, `{"b":1,"a":[true]}`: `{"a"=>[true], "b"=>1}`,
	} {
		if got := rubyInterpolate([]byte(raw)); got != want {
			t.Errorf("rubyInterpolate(%s) = %q, want %q", raw, got, want)
		}
	}
}
