package server_test

import (
	"bytes"
	"encoding/json"
)

type jsonDelim = json.Delim

func jsonDecoder(b []byte) *json.Decoder { return json.NewDecoder(bytes.NewReader(b)) }
