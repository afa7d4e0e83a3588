package captcha

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	t.Parallel()
	type want struct {
		str, obj, blank, complete bool
		token                     string
	}
	cases := map[string]struct {
		in   any
		want want
	}{
		"Nil":             {nil, want{blank: true}},
		"String":          {"tok", want{str: true, token: "tok"}},
		"EmptyString":     {"", want{str: true, blank: true}},
		"BlankString":     {" \t\u00a0", want{str: true, blank: true, token: " \t\u00a0"}},
		"Object":          {map[string]any{"geetest_challenge": "c", "geetest_validate": "v", "geetest_seccode": "s"}, want{obj: true, complete: true}},
		"ObjectExtraKeys": {map[string]any{"geetest_challenge": "c", "geetest_validate": "v", "geetest_seccode": "s", "x": []any{1.0}}, want{obj: true, complete: true}},
		"ObjectMissing":   {map[string]any{"geetest_challenge": "c", "geetest_validate": "v"}, want{obj: true}},
		"ObjectNumber":    {map[string]any{"geetest_challenge": "c", "geetest_validate": 1.0, "geetest_seccode": "s"}, want{obj: true}},
		"ObjectNested":    {map[string]any{"geetest_challenge": map[string]any{}, "geetest_validate": "v", "geetest_seccode": "s"}, want{obj: true}},
		"EmptyObject":     {map[string]any{}, want{obj: true, blank: true}},
		"StringMap":       {map[string]string{"geetest_challenge": "c", "geetest_validate": "v", "geetest_seccode": ""}, want{obj: true, complete: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseResponse(tc.in)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			_, _, _, complete := r.Geetest()
			got := want{str: r.IsString(), obj: r.IsObject(), blank: r.Blank(), complete: complete, token: r.Token()}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	t.Run("GeetestFields", func(t *testing.T) {
		t.Parallel()
		r := mustParse(t, map[string]any{"geetest_challenge": "c", "geetest_validate": "v", "geetest_seccode": "s"})
		c, v, s, ok := r.Geetest()
		if c != "c" || v != "v" || s != "s" || !ok {
			t.Fatalf("Geetest() = %q %q %q %v", c, v, s, ok)
		}
	})
}

func TestParseResponseErrFormat(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]any{
		"Float":      1.5,
		"JSONNumber": json.Number("12"),
		"Int":        7,
		"True":       true,
		"False":      false,
		"Array":      []any{"a"},
		"EmptyArray": []any{},
		"Struct":     struct{}{},
		"Bytes":      []byte("tok"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseResponse(in); !errors.Is(err, ErrFormat) {
				t.Fatalf("ParseResponse(%#v) err = %v, want ErrFormat", in, err)
			}
		})
	}
}

// TestParseResponseFromJSONBody runs real request bodies through
// encoding/json, with and without UseNumber.
func TestParseResponseFromJSONBody(t *testing.T) {
	t.Parallel()
	cases := map[string]error{
		`{"email":"a@b.c"}`:                            nil,
		`{"captcha_response":null}`:                    nil,
		`{"captcha_response":"tok"}`:                   nil,
		`{"captcha_response":{"geetest_seccode":"s"}}`: nil,
		`{"captcha_response":12}`:                      ErrFormat,
		`{"captcha_response":true}`:                    ErrFormat,
		`{"captcha_response":["tok"]}`:                 ErrFormat,
	}
	for body, wantErr := range cases {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(strings.NewReader(body))
			if useNumber {
				dec.UseNumber()
			}
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseResponse(m[ParamName]); !errors.Is(err, wantErr) {
				t.Errorf("%s (UseNumber=%v): err = %v, want %v", body, useNumber, err, wantErr)
			}
		}
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		query    string
		str, obj bool
		token    string
		blank    bool
		complete bool
		err      error
	}{
		"Absent":        {query: "email=a%40b.c", blank: true},
		"Token":         {query: "captcha_response=tok", str: true, token: "tok"},
		"EmptyToken":    {query: "captcha_response=", str: true, blank: true},
		"RepeatedToken": {query: "captcha_response=a&captcha_response=b", str: true, token: "b"},
		"Object": {query: "captcha_response[geetest_challenge]=c&captcha_response[geetest_validate]=v" +
			"&captcha_response[geetest_seccode]=s", obj: true, complete: true},
		"ObjectPartial": {query: "captcha_response[geetest_challenge]=c", obj: true},
		"ObjectNested": {query: "captcha_response[geetest_challenge][x]=c&captcha_response[geetest_validate]=v" +
			"&captcha_response[geetest_seccode]=s", obj: true},
		"ObjectOnlyNested": {query: "captcha_response[a][b]=c", obj: true},
		"OtherParam":       {query: "captcha_response[abc=1", blank: true},
		"Array":            {query: "captcha_response[]=a", err: ErrFormat},
		"Mixed":            {query: "captcha_response=a&captcha_response[geetest_seccode]=s", err: ErrFormat},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			form, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseForm(form)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			_, _, _, complete := r.Geetest()
			if r.IsString() != tc.str || r.IsObject() != tc.obj || r.Token() != tc.token || r.Blank() != tc.blank || complete != tc.complete {
				t.Fatalf("got str=%v obj=%v token=%q blank=%v complete=%v", r.IsString(), r.IsObject(), r.Token(), r.Blank(), complete)
			}
		})
	}
}

// FuzzParseResponse: any JSON value parses without panicking; strings and
// objects are accepted, everything else is ErrFormat; a string keeps its
// exact value.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{`null`, `"tok"`, `""`, `12`, `true`, `["a"]`, `{}`,
		`{"geetest_challenge":"c","geetest_validate":"v","geetest_seccode":"s"}`,
		`{"geetest_challenge":1,"geetest_validate":null,"geetest_seccode":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return
		}
		r, err := ParseResponse(v)
		switch v := v.(type) {
		case nil:
			if err != nil || !r.Blank() || r.IsString() || r.IsObject() {
				t.Fatalf("null: %v %v", r, err)
			}
		case string:
			if err != nil || !r.IsString() || r.Token() != v {
				t.Fatalf("string %q: %v %v", v, r, err)
			}
		case map[string]any:
			if err != nil || !r.IsObject() || r.Blank() != (len(v) == 0) {
				t.Fatalf("object: %v %v", r, err)
			}
			c, val, s, ok := r.Geetest()
			want := v[FieldGeetestChallenge] == c && v[FieldGeetestValidate] == val && v[FieldGeetestSeccode] == s
			if ok != want {
				t.Fatalf("object %v: Geetest() ok=%v", v, ok)
			}
		default:
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%T: err = %v, want ErrFormat", v, err)
			}
		}
		if r.IsString() && (r.String() != "captcha.Response{string:[redacted]}" || r.GoString() != r.String()) {
			t.Fatalf("String() = %q", r.String())
		}
	})
}

// FuzzParseForm: any form parses without panicking and gives one of the
// three shapes or ErrFormat.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"captcha_response=tok", "captcha_response[]=a",
		"captcha_response[geetest_challenge]=c&captcha_response[geetest_validate]=v&captcha_response[geetest_seccode]=s",
		"captcha_response=a&captcha_response[x]=b", "captcha_response[a][b]=c", "x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r, err := ParseForm(form)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
			return
		}
		if r.IsString() && r.IsObject() {
			t.Fatal("both string and object")
		}
		if vals, ok := form[ParamName]; ok && (!r.IsString() || r.Token() != vals[len(vals)-1]) {
			t.Fatalf("token %q, form %v", r.Token(), vals)
		}
	})
}
