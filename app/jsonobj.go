package app

import (
	"bytes"
	"encoding/json"
)

// member is one key/value of an ordered JSON object.
type member struct {
	K string
	V any
}

// obj is a JSON object that keeps its member order, so events and entities
// list fields in Barong's order.
type obj []member

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.K)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.V)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// get returns the value of key.
func (o obj) get(k string) (any, bool) {
	for _, m := range o {
		if m.K == k {
			return m.V, true
		}
	}
	return nil, false
}

// compact drops members whose value is nil.
func (o obj) compact() obj {
	out := make(obj, 0, len(o))
	for _, m := range o {
		if m.V != nil {
			out = append(out, m)
		}
	}
	return out
}
