package barongimport

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// unmarshalRuby decodes the Ruby Marshal (4.8) dump of the values Barong
// encrypts: a String (with or without its encoding), nil, or a Date, given
// back as YYYY-MM-DD. Integers and symbols are read only as parts of these.
func unmarshalRuby(b []byte) (string, error) {
	if len(b) < 2 || b[0] != 4 || b[1] != 8 {
		return "", errors.New("not a Ruby Marshal 4.8 dump")
	}
	r := &marshalReader{b: b[2:]}
	v, err := r.value(0)
	if err != nil {
		return "", fmt.Errorf("ruby marshal: %w", err)
	}
	if len(r.b) != 0 {
		return "", errors.New("ruby marshal: trailing bytes")
	}
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case rubyDate:
		return string(v), nil
	}
	return "", fmt.Errorf("ruby marshal: unexpected %T", v)
}

type rubySymbol string
type rubyDate string

type marshalReader struct {
	b       []byte
	symbols []rubySymbol
}

func (r *marshalReader) byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, errors.New("truncated")
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

// long reads Marshal's variable-length integer.
func (r *marshalReader) long() (int64, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	n := int8(c)
	switch {
	case n == 0:
		return 0, nil
	case n > 4:
		return int64(n) - 5, nil
	case n < -4:
		return int64(n) + 5, nil
	case n > 0:
		var v int64
		for i := range int(n) {
			b, err := r.byte()
			if err != nil {
				return 0, err
			}
			v |= int64(b) << (8 * i)
		}
		return v, nil
	default:
		v := int64(-1)
		for i := range int(-n) {
			b, err := r.byte()
			if err != nil {
				return 0, err
			}
			v &^= 0xff << (8 * i)
			v |= int64(b) << (8 * i)
		}
		return v, nil
	}
}

func (r *marshalReader) bytes() ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || int64(len(r.b)) < n {
		return nil, errors.New("truncated")
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s, nil
}

// value reads one object; depth bounds nesting.
func (r *marshalReader) value(depth int) (any, error) {
	if depth > 8 {
		return nil, errors.New("nested too deep")
	}
	c, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch c {
	case '0':
		return nil, nil
	case 'T':
		return true, nil
	case 'F':
		return false, nil
	case 'i':
		return r.long()
	case '"':
		s, err := r.bytes()
		return string(s), err
	case 'f':
		s, err := r.bytes()
		if err != nil {
			return nil, err
		}
		return strconv.ParseFloat(string(s), 64)
	case ':':
		s, err := r.bytes()
		if err != nil {
			return nil, err
		}
		sym := rubySymbol(s)
		r.symbols = append(r.symbols, sym)
		return sym, nil
	case ';':
		i, err := r.long()
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(r.symbols)) {
			return nil, errors.New("bad symbol link")
		}
		return r.symbols[i], nil
	case 'I': // an object followed by its instance variables (a String's encoding)
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n, err := r.long()
		if err != nil {
			return nil, err
		}
		for range n {
			if _, err := r.value(depth + 1); err != nil {
				return nil, err
			}
			if _, err := r.value(depth + 1); err != nil {
				return nil, err
			}
		}
		return v, nil
	case '[':
		n, err := r.long()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > 16 {
			return nil, errors.New("unexpected array")
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.value(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case 'U': // user-marshalled object: class symbol, then its marshal_dump
		cls, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		data, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if cls == rubySymbol("Date") {
			return dateOf(data)
		}
		return nil, fmt.Errorf("unexpected object of class %v", cls)
	}
	return nil, fmt.Errorf("unsupported type %q", c)
}

// dateOf reads Date#marshal_dump: [nth, jd, df, sf, of, sg].
func dateOf(v any) (rubyDate, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 6 {
		return "", errors.New("unexpected Date dump")
	}
	jd, ok := a[1].(int64)
	if nth, _ := a[0].(int64); !ok || nth != 0 {
		return "", errors.New("unexpected Date dump")
	}
	// Julian day 2440588 is 1970-01-01.
	return rubyDate(time.Unix(0, 0).UTC().AddDate(0, 0, int(jd-2440588)).Format(time.DateOnly)), nil
}
