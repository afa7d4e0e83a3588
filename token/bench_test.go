package token

import (
	"testing"
)

var benchClaims = AccessClaims{UID: "ID30DD0DD986", Username: strPtr("nick"), Email: "a@b.io", Role: "member", Level: 3, State: "active", ReferralID: i64Ptr(12)}

func benchIssue(b *testing.B, k *Key) {
	ring := mustRing(b, k)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.IssueAccess(benchClaims, testNow, testTTL); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerify(b *testing.B, k *Key) {
	ring := mustRing(b, k)
	tok, err := ring.IssueAccess(benchClaims, testNow, testTTL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.VerifyAccess(tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueAccessRS256(b *testing.B) {
	r, _, _ := testKeys(b)
	benchIssue(b, r)
}

func BenchmarkIssueAccessEdDSA(b *testing.B) {
	_, _, ed := testKeys(b)
	benchIssue(b, ed)
}

func BenchmarkVerifyAccessRS256(b *testing.B) {
	r, _, _ := testKeys(b)
	benchVerify(b, r)
}

func BenchmarkVerifyAccessEdDSA(b *testing.B) {
	_, _, ed := testKeys(b)
	benchVerify(b, ed)
}

// BenchmarkVerifyAccessRejectBadSignature measures the cost an attacker can
// impose with well-formed forged tokens.
func BenchmarkVerifyAccessRejectBadSignature(b *testing.B) {
	r, other, _ := testKeys(b)
	tok, err := mustRing(b, other).IssueAccess(benchClaims, testNow, testTTL)
	if err != nil {
		b.Fatal(err)
	}
	ring := mustRing(b, r)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.VerifyAccess(tok, testNow); err == nil {
			b.Fatal("forged token accepted")
		}
	}
}

func BenchmarkSignEventRS256(b *testing.B) {
	r, _, _ := testKeys(b)
	ring := mustRing(b, r)
	ev := testEvent{Record: map[string]string{"uid": "ID1"}, Name: "model.user.created"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.SignEvent(ev, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
