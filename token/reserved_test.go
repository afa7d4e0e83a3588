package token

import "testing"

// A payload's sub is read as the compact verifiers read it: any letter
// case of the key, escapes in the value, the last of duplicates.
func TestReservedSubject(t *testing.T) {
	for payload, want := range map[string]string{
		`{"sub":"session"}`:                  "session",
		`{"SUB":"confirmation"}`:             "confirmation",
		`{"sub":"res\u0065t"}`:               "reset",
		`{"sub":"withdraw","sub":"session"}`: "session",
		`{"sub":"session","sub":"withdraw"}`: "",
		`{"sub":["session"]}`:                "",
		`{"data":{"sub":"session"}}`:         "",
		`["session"]`:                        "",
		`{"iat":1,"exp":2,"data":{"a":"b"}}`: "",
	} {
		j := &GeneralJWS{Payload: b64.EncodeToString([]byte(payload))}
		got, ok := j.ReservedSubject()
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", payload, got, ok, want)
		}
	}
}
