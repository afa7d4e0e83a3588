package redisstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// errNotFlat is the error of scanFlat for input it does not handle; the
// caller then decodes with encoding/json, which knows the whole grammar.
var errNotFlat = errors.New("not a flat JSON object")

// Kinds of the members scanFlat reports.
const (
	kindString = 's'
	kindNumber = 'n'
	kindBool   = 'b'
	kindNull   = 'z'
)

// scanFlat reads a JSON object whose members are strings, integers,
// booleans or null, as encoding/json writes the session records and
// snapshots, calling fn with each member (num holds integers and booleans
// as 1 or 0, str strings). It is the hot-path decoder of every authz
// request: several times faster than encoding/json and without
// reflection. Strings without escapes are sliced, others are unquoted by
// encoding/json. Anything else (nesting, floats, whitespace, trailing
// data), or fn returning false (a key or kind it does not expect),
// returns errNotFlat, and the caller decodes with encoding/json, which
// knows the whole grammar and its rules.
func scanFlat(data string, fn func(key string, kind byte, str string, num int64) bool) error {
	i := 0
	if len(data) < 2 || data[0] != '{' {
		return errNotFlat
	}
	i++
	if data[i] == '}' {
		if i+1 != len(data) {
			return errNotFlat
		}
		return nil
	}
	for {
		key, n, ok := flatString(data, i)
		if !ok || n >= len(data) || data[n] != ':' {
			return errNotFlat
		}
		i = n + 1
		if i >= len(data) {
			return errNotFlat
		}
		var str string
		var num int64
		var kind byte
		switch c := data[i]; {
		case c == '"':
			if str, i, ok = flatString(data, i); !ok {
				return errNotFlat
			}
			kind = kindString
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			if data[j] == '-' {
				j++
			}
			start := j
			for j < len(data) && data[j] >= '0' && data[j] <= '9' {
				j++
			}
			if j == start || (data[start] == '0' && j-start > 1) { // no digits, or a leading zero
				return errNotFlat
			}
			v, err := strconv.ParseInt(data[i:j], 10, 64)
			if err != nil {
				return errNotFlat
			}
			num, i, kind = v, j, kindNumber
		case hasAt(data, i, "true"):
			num, i, kind = 1, i+4, kindBool
		case hasAt(data, i, "false"):
			i, kind = i+5, kindBool
		case hasAt(data, i, "null"):
			i, kind = i+4, kindNull
		default:
			return errNotFlat
		}
		if !fn(key, kind, str, num) {
			return errNotFlat
		}
		if i >= len(data) {
			return errNotFlat
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			if i+1 != len(data) {
				return errNotFlat
			}
			return nil
		default:
			return errNotFlat
		}
	}
}

// flatString reads the JSON string starting at data[i] == '"' and returns
// its value and the index after it.
func flatString(data string, i int) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	escaped := false
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return "", 0, false
		case c == '"':
			if !escaped && utf8.ValidString(data[i+1:j]) {
				return data[i+1 : j], j + 1, true
			}
			var s string
			if err := json.Unmarshal([]byte(data[i:j+1]), &s); err != nil {
				return "", 0, false
			}
			return s, j + 1, true
		}
	}
	return "", 0, false
}

func hasAt(data string, i int, word string) bool {
	return len(data)-i >= len(word) && data[i:i+len(word)] == word
}

// The setters assign a scanned member to a field of its JSON type, as
// encoding/json does (null leaves the field as it is); another kind
// reports false.

func setString(p *string, kind byte, str string) bool {
	switch kind {
	case kindString:
		*p = str
	case kindNull:
	default:
		return false
	}
	return true
}

func setInt64(p *int64, kind byte, num int64) bool {
	switch kind {
	case kindNumber:
		*p = num
	case kindNull:
	default:
		return false
	}
	return true
}

func setInt(p *int, kind byte, num int64) bool {
	v := int64(*p)
	ok := setInt64(&v, kind, num)
	*p = int(v)
	return ok
}

func setBool(p *bool, kind byte, num int64) bool {
	switch kind {
	case kindBool:
		*p = num == 1
	case kindNull:
	default:
		return false
	}
	return true
}

// setTime parses an RFC 3339 string as time.Time's UnmarshalJSON does.
func setTime(p *time.Time, kind byte, str string) bool {
	switch kind {
	case kindString:
		return p.UnmarshalText([]byte(str)) == nil
	case kindNull:
		return true
	}
	return false
}

// set assigns one member of a session record.
func (r *record) set(key string, kind byte, str string, num int64) bool {
	switch key {
	case "uid":
		return setString(&r.UID, kind, str)
	case "ip":
		return setString(&r.UserIP, kind, str)
	case "ua":
		return setString(&r.UserAgent, kind, str)
	case "csrf":
		return setString(&r.CSRFToken, kind, str)
	case "exp":
		return setInt64(&r.ExpireTime, kind, num)
	case "created":
		return setTime(&r.CreatedAt, kind, str)
	}
	return false
}

// set assigns one member of a user snapshot.
func (s *userSnap) set(key string, kind byte, str string, num int64) bool {
	switch key {
	case "id":
		return setInt64(&s.ID, kind, num)
	case "uid":
		return setString(&s.UID, kind, str)
	case "un":
		return setString(&s.Username, kind, str)
	case "em":
		return setString(&s.Email, kind, str)
	case "ro":
		return setString(&s.Role, kind, str)
	case "lv":
		return setInt(&s.Level, kind, num)
	case "otp":
		return setBool(&s.OTP, kind, num)
	case "st":
		return setString(&s.State, kind, str)
	case "ref":
		return setInt64(&s.ReferralID, kind, num)
	}
	return false
}

// set assigns one member of a service-account snapshot.
func (s *saSnap) set(key string, kind byte, str string, num int64) bool {
	switch key {
	case "id":
		return setInt64(&s.ID, kind, num)
	case "uid":
		return setString(&s.UID, kind, str)
	case "own":
		return setInt64(&s.OwnerID, kind, num)
	case "em":
		return setString(&s.Email, kind, str)
	case "ro":
		return setString(&s.Role, kind, str)
	case "lv":
		return setInt(&s.Level, kind, num)
	case "st":
		return setString(&s.State, kind, str)
	}
	return false
}

// set assigns one member of an API-key snapshot.
func (k *KeySnapshot) set(key string, kind byte, str string, num int64) bool {
	switch key {
	case "id":
		return setInt64(&k.ID, kind, num)
	case "kid":
		return setString(&k.KID, kind, str)
	case "st":
		return setString(&k.State, kind, str)
	case "ht":
		return setString(&k.HolderType, kind, str)
	case "hid":
		return setInt64(&k.HolderID, kind, num)
	case "hu":
		return setString(&k.HolderUID, kind, str)
	}
	return false
}
