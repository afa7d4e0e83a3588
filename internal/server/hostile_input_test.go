package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// Hostile parameter values sent to every endpoint of every family on each
// database (TestHostileInputEveryEndpoint): whatever the value, the answer
// is a 4xx with error keys (or a success), never a 5xx.

// hostileValue is one bad value: str is sent raw in a form body or query
// (so invalid UTF-8 and NUL reach the server as bytes), typed (when set)
// as a JSON value instead.
type hostileValue struct {
	name  string
	str   string
	typed any
	json  bool
}

func hostileValues() []hostileValue {
	s := func(name, v string) hostileValue { return hostileValue{name: name, str: v} }
	j := func(name string, v any) hostileValue { return hostileValue{name: name, typed: v, json: true} }
	return []hostileValue{
		s("empty", ""),
		s("blank", "  \t "),
		s("256 chars", strings.Repeat("a", 256)),
		s("10k chars", strings.Repeat("b", 10001)),
		s("70k chars", strings.Repeat("c", 70000)),
		s("emoji", "😀😀x"),
		s("emoji long", strings.Repeat("😀", 70)),
		s("invalid utf8", "a\xff\xfeb"),
		s("lone surrogate", "a\xed\xa0\x80b"),
		s("nul", "a\x00b"),
		s("control", "a\x01\x1b[31mb\r\n"),
		s("-1", "-1"),
		s("0", "0"),
		s("int64 max+1", "9223372036854775808"),
		s("int64 min-1", "-9223372036854775809"),
		s("int32 max+1", "2147483648"),
		s("huge", "99999999999999999999999999"),
		s("1e400", "1e400"),
		s("float", "1.5"),
		s("hex", "0x10"),
		s("NaN", "NaN"),
		s("date zero", "0000-00-00"),
		s("date year 99999", "99999-12-31"),
		s("date feb 30", "2020-02-30"),
		s("date year 1", "0001-01-01"),
		s("date negative", "-0001-01-01"),
		s("datetime", "1969-12-31T23:59:59Z"),
		s("sql", "' OR 1=1 -- \\"),
		s("percent", "%_%"),
		s("nfd email", "e\u0301le\u0300ve@example.com"),
		s("fullwidth email", "ＡＢ@ｅｘａｍｐｌｅ.com"),
		s("long email", strings.Repeat("a", 300)+"@example.com"),
		s("json not json", `{"a":`),
		s("json array text", `[1,2]`),
		s("json 40k", `{"a":"`+strings.Repeat("d", 40000)+`"}`),
		s("json 70k", `{"a":"`+strings.Repeat("e", 70000)+`"}`),
		s("json 70k emoji", `{"a":"`+strings.Repeat("😀", 17600)+`"}`),
		s("json 900k", `[`+strings.Repeat(`"f",`, 225000)+`1]`),
		j("array", []any{"1", 2}),
		j("object", map[string]any{"a": 1}),
		j("true", true),
		j("null", nil),
		j("number", 987654),
		j("negative number", -5),
		j("big float", 1e308),
		j("fraction", 0.5),
		j("int64 max", int64(9223372036854775807)),
	}
}

// hostileOp is one operation of the OpenAPI document: its body (or query)
// parameters and its path parameters.
type hostileOp struct {
	method, path string
	params       []string
	pathParams   []string
	query        bool
}

// hostileOps reads the operations of every family from api/openapi.json
// (the /api/v2/auth mount only).
func hostileOps(t *testing.T) []hostileOp {
	t.Helper()
	raw, err := os.ReadFile("../../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	type param struct{ In, Name string }
	var doc struct {
		Paths map[string]map[string]struct {
			Description string
			Parameters  []param
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					}
				}
			}
		}
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []hostileOp
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v2/auth/") || strings.Contains(path, "{path}") {
			continue
		}
		for method, op := range methods {
			o := hostileOp{method: strings.ToUpper(method), path: path}
			for _, p := range op.Parameters {
				switch p.In {
				case "path":
					o.pathParams = append(o.pathParams, p.Name)
				case "query":
					o.params = append(o.params, p.Name)
					o.query = true
				}
			}
			schema := ""
			for _, c := range op.RequestBody.Content {
				schema = c.Schema.Ref[strings.LastIndex(c.Schema.Ref, "/")+1:]
			}
			if _, data, ok := strings.Cut(op.Description, "data claim is #/components/schemas/"); ok {
				schema = strings.TrimSuffix(data, ".")
			}
			if s, ok := doc.Components.Schemas[schema]; ok && schema != "ManagementJWS" {
				for name := range s.Properties {
					o.params = append(o.params, name)
				}
			}
			sort.Strings(o.params)
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

var hostileSeq atomic.Int64

// hostileBaseline is a plausible value of each parameter, so that the
// hostile one reaches as deep as it can; "" leaves the parameter out.
func hostileBaseline(op hostileOp, name, target, digest string, ids map[string]string) string {
	switch {
	case strings.HasSuffix(op.path, "/users/get") || strings.HasSuffix(op.path, "/service_accounts/get"):
		return "" // exactly one of the parameters: the hostile one
	case name == "email" || name == "service_account_email":
		// A fresh address, so that creations and changes reach the write.
		return fmt.Sprintf("fresh%d@example.com", hostileSeq.Add(1))
	case strings.Contains(op.path, "/resource/") && (name == "totp_code" || name == "otp_code" || name == "code"):
		return ids["totp"]
	case name == "state" && (strings.HasSuffix(op.path, "/profiles") || strings.HasSuffix(op.path, "/users/import")):
		return "submitted"
	case name == "key" && strings.Contains(op.path, "labels") && op.method != "DELETE":
		return fmt.Sprintf("key%d", hostileSeq.Add(1))
	case strings.HasSuffix(op.path, "/restrictions"):
		switch name {
		case "scope":
			return "ip"
		case "value":
			return "10.9.9.9"
		case "state":
			return "enabled"
		case "id":
			return ids["restriction"]
		}
	case strings.HasSuffix(op.path, "/users/comments") && name == "id":
		return ids["comment"]
	case strings.HasSuffix(op.path, "/permissions"):
		switch name {
		case "role":
			return "support"
		case "path":
			return "api/v2/hostile"
		case "id":
			return ids["permission"]
		}
	case strings.Contains(op.path, "/resource/"):
		switch name {
		case "scope":
			return "trade"
		}
	case strings.HasSuffix(op.path, "/users/import"):
		switch name {
		case "email":
			return "imported@example.com"
		case "state":
			return "active"
		}
	}
	switch name {
	case "uid", "user_uid", "owner_uid", "target_uid":
		return target
	case "email":
		return "bob@example.com"
	case "password", "old_password":
		return "Wrong-Passw0rd!"
	case "new_password", "confirm_password":
		return "N3w-Secret-Phrase!"
	case "password_digest":
		return digest
	case "key":
		return "hostile"
	case "value":
		return "xyz"
	case "scope":
		return "private"
	case "state":
		return "active"
	case "role":
		return "member"
	case "category":
		return "blacklist"
	case "verb":
		return "get"
	case "action":
		return "drop"
	case "topic":
		return "session"
	case "id":
		return "987654"
	case "kid":
		return "0123456789abcdef"
	case "dob":
		return "1990-01-02"
	case "doc_expire":
		return "2035-01-01"
	case "country":
		return "US"
	case "first_name", "last_name":
		return "Bob"
	case "city":
		return "Paris"
	case "address":
		return "1 Main St"
	case "postcode":
		return "75001"
	case "title", "description", "name", "doc_number", "identificator":
		return "xyz"
	case "metadata", "data":
		return `{"a":"b"}`
	case "doc_type":
		return "Passport"
	case "file_ext":
		return ".jpg"
	case "filename":
		return "a.jpg"
	case "upload":
		return "aGVsbG8="
	case "page":
		return "1"
	case "limit":
		return "10"
	case "range":
		return "created"
	case "phone_number", "number", "phone", "phone_num":
		return "+14155552671"
	case "channel":
		return "sms"
	case "verification_code":
		return "12345"
	case "algorithm":
		return "HS256"
	case "otp_code", "code", "totp_code":
		return "123456"
	case "token", "reset_password_token", "whitelink_token", "id_token":
		return "x"
	case "extended":
		return "true"
	case "ordering":
		return "asc"
	case "order_by":
		return "id"
	case "expire_time":
		return "60"
	case "service_account_role":
		return "sa_maker"
	}
	return ""
}

// TestHostileInputEveryEndpoint sends every hostile value in every
// parameter (and path parameter) of every operation of the OpenAPI
// document, the other parameters plausible, on SQLite, PostgreSQL and
// MariaDB: no answer is a 5xx, and every 4xx of the Barong families
// carries error keys.
func TestHostileInputEveryEndpoint(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, nil, func(t *testing.T, env map[string]string) {
		hostileRun(t, env, hostileOps(t), hostileValues())
	})
}

func hostileRun(t *testing.T, env map[string]string, ops []hostileOp, values []hostileValue) {
	m := newMgmtServer(t, "{}", mgmtScopesYAML, env)
	e := &admEnv{ts: m.testServer, as: map[string]*client{}, users: map[string]*barong.User{}}
	root, _ := e.signIn(t, "root@example.com", "superadmin")
	_, bob := e.signIn(t, "bob@example.com", "member")
	carol, cu := e.signIn(t, "carol@example.com", "member")
	totpSecret := mgmtEnableOTP(t, m.testServer, cu)
	digest, _ := bcrypt.GenerateFromPassword([]byte("imported secret"), 4)
	ids := map[string]string{}
	for what, req := range map[string]struct {
		path string
		body map[string]any
	}{
		"permission":  {"/permissions", map[string]any{"role": "support", "verb": "get", "path": "api/v2/hostile", "action": "drop"}},
		"restriction": {"/restrictions", map[string]any{"category": "blacklist", "scope": "ip", "value": "10.9.9.8"}},
		"comment":     {"/users/comments", map[string]any{"uid": bob.UID, "title": "t", "data": "d"}},
	} {
		r := root.do(t, "POST", adm+req.path, req.body)
		if r.Status >= 300 {
			t.Fatalf("create %s: %d %s", what, r.Status, r.Body)
		}
	}
	ctx := context.Background()
	ps, _ := m.DB.Permissions(ctx)
	for _, p := range ps {
		if p.Path == "api/v2/hostile" {
			ids["permission"] = fmt.Sprint(p.ID)
		}
	}
	rs, _ := m.DB.Restrictions(ctx)
	for _, r := range rs {
		if r.Value == "10.9.9.8" {
			ids["restriction"] = fmt.Sprint(r.ID)
		}
	}
	cs, _ := m.DB.CommentsByUser(ctx, bob.ID)
	for _, c := range cs {
		ids["comment"] = fmt.Sprint(c.ID)
	}
	if len(ids) != 3 {
		t.Fatalf("records %v", ids)
	}
	m.events(t)

	alive := func(where string) {
		t.Helper()
		for who, c := range map[string]*client{"root": root, "carol": carol} {
			if r := c.do(t, "GET", res+"/users/me", nil); r.Status != 200 {
				t.Fatalf("after %s, %s's session: %d %s", where, who, r.Status, r.Body)
			}
		}
	}
	var fails int
	check := func(op hostileOp, what string, r *response) {
		t.Helper()
		if os.Getenv("HOSTILE_STATS") != "" { // which answers each operation gave: to see how deep the values reach
			k := r.Status
			key := fmt.Sprint(k)
			if k < 300 {
				key = "2xx"
			} else if e := r.errors(); len(e) > 0 {
				key += " " + strings.Join(e, ",")
			} else {
				key += fmt.Sprintf(" %.60s", r.Body)
			}
			fmt.Printf("STAT %s %s | %s\n", op.method, op.path, key)
		}
		// Nothing half-written: a refused request leaves no event behind
		// (every change writes its event in the same transaction).
		if evs := m.events(t); r.Status >= 400 && len(evs) > 0 {
			t.Errorf("%s %s %s: %d but events %v", op.method, op.path, what, r.Status, names(evs))
		}
		if r.Status >= 500 || r.Status == 0 {
			fails++
			t.Errorf("%s %s %s: %d %.300s", op.method, op.path, what, r.Status, r.Body)
			return
		}
		if r.Status >= 400 && r.Status != 404 && r.Status != 405 && r.Status != 431 && !strings.Contains(op.path, "/management/") && len(r.errors()) == 0 {
			t.Errorf("%s %s %s: %d without error keys: %.300s", op.method, op.path, what, r.Status, r.Body)
		}
	}
	for _, op := range ops {
		if fails > 50 {
			t.Fatal("too many failures")
		}
		family := strings.Split(strings.TrimPrefix(op.path, "/api/v2/auth/"), "/")[0]
		var c *client
		switch family {
		case "identity", "public":
			c = m.client()
		case "admin":
			c = root
		case "resource":
			c = carol
		}
		ids["totp"] = mgmtTOTP(t, totpSecret)
		base := map[string]string{}
		for _, p := range append(op.params, op.pathParams...) {
			if v := hostileBaseline(op, p, bob.UID, string(digest), ids); v != "" {
				base[p] = v
			}
		}
		send := func(what string, path map[string]string, vals url.Values, typed map[string]any) {
			t.Helper()
			target := op.path
			for _, p := range op.pathParams {
				v, ok := path[p]
				if !ok {
					v = base[p]
				}
				if v == "" {
					v = "x"
				}
				target = strings.ReplaceAll(target, "{"+p+"}", url.PathEscape(v))
			}
			if family == "management" {
				data := map[string]any{}
				for k, v := range vals {
					data[k] = v[0]
				}
				for k, v := range typed {
					data[k] = v
				}
				check(op, what, m.callAs(t, op.method, strings.TrimPrefix(target, "/api/v2/auth/management"), data, m.applogic, m.peatio))
				return
			}
			if op.query || op.method == "GET" || op.method == "DELETE" {
				q := vals.Encode()
				for k, v := range typed {
					b, _ := json.Marshal(v)
					q += "&" + url.QueryEscape(k) + "=" + url.QueryEscape(string(b))
				}
				check(op, what, c.do(t, op.method, target+"?"+q, nil))
				return
			}
			if typed != nil {
				body := map[string]any{}
				for k, v := range vals {
					body[k] = v[0]
				}
				for k, v := range typed {
					body[k] = v
				}
				check(op, what, c.do(t, op.method, target, body))
				return
			}
			check(op, what, c.do(t, op.method, target, vals))
		}
		baseVals := func() url.Values {
			v := url.Values{}
			for k, s := range base {
				if !contains(op.pathParams, k) {
					v.Set(k, s)
				}
			}
			return v
		}
		for _, p := range op.params {
			for _, h := range values {
				vals := baseVals()
				what := fmt.Sprintf("%s=%s", p, h.name)
				if h.json {
					vals.Del(p)
					send(what, nil, vals, map[string]any{p: h.typed})
					continue
				}
				vals.Set(p, h.str)
				send(what, nil, vals, nil)
				if family != "management" && op.method != "GET" && op.method != "DELETE" && !op.query {
					// The same value in a JSON body (invalid UTF-8 becomes U+FFFD).
					body := map[string]any{}
					for k, v := range vals {
						body[k] = v[0]
					}
					check(op, what+" (json)", c.do(t, op.method, pathWith(op, base), body))
				}
			}
			// Duplicated parameter, two different values.
			vals := baseVals()
			vals[p] = []string{"-7", strings.Repeat("z", 300)}
			send(p+" duplicated", nil, vals, nil)
		}
		for _, p := range op.pathParams {
			for _, h := range values {
				if h.json || h.str == "" {
					continue
				}
				send(fmt.Sprintf("path %s=%s", p, h.name), map[string]string{p: h.str}, baseVals(), nil)
			}
		}
		if family == "admin" || family == "resource" {
			alive(op.method + " " + op.path)
		}
	}
	if r := m.call(t, "/timestamp", nil); r.Status != 200 {
		t.Fatalf("management still answers? %d %s", r.Status, r.Body)
	}
}

// pathWith is op's path with its path parameters from base.
func pathWith(op hostileOp, base map[string]string) string {
	p := op.path
	for _, n := range op.pathParams {
		v := base[n]
		if v == "" {
			v = "x"
		}
		p = strings.ReplaceAll(p, "{"+n+"}", url.PathEscape(v))
	}
	return p
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
