// Package openapigen writes barong-go's OpenAPI 3.1 document
// (api/openapi.json) from three sources: the route table of package api
// (which endpoints exist, their summaries), Barong's swagger 2.0
// descriptions (parameters, request fields and response entities, as data:
// names, types, required flags, success codes) and the error keys of each
// endpoint listed in Barong's behavioural reference. The prose is ours:
// descriptions from the swagger files are not copied.
//
// Run it with scripts/openapi (go run ./scripts/openapi); a test of package
// api checks that the committed document is what it writes and that it
// matches the routes.
package openapigen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Route is an endpoint of a family (api.Route): Ability is the admin
// ability its guard asks ("update User"), Scope the management scope.
type Route struct {
	Family, Method, Path, Summary string
	Ability, Scope                string
}

// Input is what the document is made of.
type Input struct {
	Routes []Route
	// Swagger are Barong's swagger 2.0 files (user, admin, management API).
	Swagger [][]byte
	// Reference is Barong's behavioural reference (markdown).
	Reference []byte
	Version   string
}

type obj = map[string]any

// swagger is the part of a swagger 2.0 file that is read.
type swagger struct {
	Paths       map[string]map[string]swaggerOp `json:"paths"`
	Definitions map[string]json.RawMessage      `json:"definitions"`
}

type swaggerOp struct {
	Parameters []swaggerParam             `json:"parameters"`
	Responses  map[string]swaggerResponse `json:"responses"`
}

type swaggerParam struct {
	In       string `json:"in"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Format   string `json:"format"`
	Required bool   `json:"required"`
	// Schema, for barong-go's own parameters, replaces Type and Format.
	Schema obj `json:"-"`
}

type swaggerResponse struct {
	Schema json.RawMessage `json:"schema"`
}

// FromSpec generates the document of routes from the spec folder
// (barong-reference.md and swagger/{user,admin,management}_api.json).
func FromSpec(routes []Route, spec, version string) ([]byte, error) {
	in := Input{Routes: routes, Version: version}
	for _, f := range []string{"user_api.json", "admin_api.json", "management_api.json"} {
		b, err := os.ReadFile(filepath.Join(spec, "swagger", f))
		if err != nil {
			return nil, err
		}
		in.Swagger = append(in.Swagger, b)
	}
	ref, err := os.ReadFile(filepath.Join(spec, "barong-reference.md"))
	if err != nil {
		return nil, err
	}
	in.Reference = ref
	return Generate(in)
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// shape is a path with its parameters blanked, for matching paths whose
// parameter names differ.
func shape(p string) string { return wildcard.ReplaceAllString(p, "{}") }

// Generate returns the document as indented JSON.
func Generate(in Input) ([]byte, error) {
	ops := map[string]swaggerOp{} // "METHOD family shape"
	schemas := obj{}
	for _, raw := range in.Swagger {
		var sw swagger
		if err := json.Unmarshal(raw, &sw); err != nil {
			return nil, fmt.Errorf("swagger: %w", err)
		}
		for p, methods := range sw.Paths {
			rest, ok := strings.CutPrefix(p, "/api/v2/barong/")
			if !ok {
				continue
			}
			family, sub, _ := strings.Cut(rest, "/")
			for m, op := range methods {
				ops[strings.ToUpper(m)+" "+family+" "+shape("/"+sub)] = op
			}
		}
		for name, def := range sw.Definitions {
			var v any
			if err := json.Unmarshal(def, &v); err != nil {
				return nil, fmt.Errorf("swagger definition %s: %w", name, err)
			}
			schemas[schemaName(name)] = entity(convertSchema(v))
		}
	}
	g := &generator{byKeys: map[string]string{}, responses: obj{}, keyStatus: map[string]int{}}
	for _, own := range []map[string]swaggerOp{ownOps, sessionOps} {
		for k, op := range own {
			if _, ok := ops[k]; !ok {
				ops[k] = op
			}
		}
	}
	for k, ps := range ownParams {
		op := ops[k]
		op.Parameters = append(slices.Clone(op.Parameters), ps...)
		ops[k] = op
	}
	refKeys := g.referenceKeys(string(in.Reference))
	for name, s := range fixedSchemas() {
		schemas[name] = s
	}

	paths := obj{}
	ids := map[string]bool{}
	for _, r := range in.Routes {
		p := "/api/v2/auth/" + r.Family + r.Path
		item, _ := paths[p].(obj)
		if item == nil {
			item = obj{}
			paths[p] = item
		}
		op := g.operation(r, ops[r.Method+" "+r.Family+" "+shape(r.Path)], refKeys[r.Method+" "+r.Family+" "+shape(r.Path)], schemas)
		id := op["operationId"].(string)
		for ids[id] {
			id += "_"
		}
		ids[id] = true
		op["operationId"] = id
		item[strings.ToLower(r.Method)] = op
	}
	for p, item := range extraPaths() {
		paths[p] = item
	}

	doc := obj{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": obj{"title": "barong-go", "version": in.Version, "description": infoDescription,
			"license": obj{"name": "Apache-2.0", "identifier": "Apache-2.0"}},
		"servers": []any{obj{"url": "/", "description": "this server; every family is also served at /api/v2/<family>/..."}},
		"tags": []any{
			obj{"name": "identity", "description": "Sign-up, sign-in, e-mail confirmation and password reset (no authentication)."},
			obj{"name": "public", "description": "Public information (no authentication)."},
			obj{"name": "resource", "description": "The signed-in user's own records."},
			obj{"name": "admin", "description": "Administration, by role abilities."},
			obj{"name": "management", "description": "Server-to-server calls signed as a JWS multisig body."},
			obj{"name": "authz", "description": "The gateway check."},
			obj{"name": "operations", "description": "Health, metrics and keys."},
		},
		"paths": paths,
		"components": obj{
			"responses":       g.responses,
			"schemas":         schemas,
			"securitySchemes": securitySchemes(),
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const infoDescription = `barong-go is an authentication and identity server for trading platforms, compatible with OpenWare's Barong.

Every family is served at two mounts with the same behaviour: /api/v2/auth/<family>/... (listed here) and /api/v2/<family>/....

Requests carry parameters as JSON (the default when Content-Type is missing), form-encoded or multipart bodies, or in the query string (GET and DELETE). Other body types answer 415 request.unsupported_content_type.

Errors of the identity, public, resource and admin families and of the gateway check are {"errors":["<key>",...],"request_id":"<id>"}: missing or blank required parameters answer 400 with <prefix>.missing_<param> / <prefix>.empty_<param>, invalid values 422, a value of the wrong type <prefix>.non_string_<param> (non_integer_, non_boolean_). The management family answers Barong's {"error":"<message>"} shapes.

Every response carries X-Request-Id: the caller's when it is 1 to 128 characters of letters, digits and -_.:+/=@, else a new one.

Authentication: the session cookie of POST /identity/sessions with the X-CSRF-Token header (the csrf_token of the sign-in answer) on every request that is not a GET; or API-key headers X-Auth-Apikey (kid), X-Auth-Nonce (milliseconds since the epoch) and X-Auth-Signature (hex HMAC-SHA256 of nonce + kid with the key's secret); or a bearer JWT issued by the gateway check. Management requests are a JSON general-serialization JWS (payload, signatures) signed by the keys of management_api.yml.`

// schemaName turns API_V2_Entities_User into Entities_User.
func schemaName(def string) string { return strings.TrimPrefix(def, "API_V2_") }

// convertSchema turns a swagger 2.0 schema into JSON Schema 2020-12 as
// OpenAPI 3.1 reads it: references to components, no descriptions (the
// swagger's prose is not ours), is_array flags as arrays.
func convertSchema(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := obj{}
		for k, val := range x {
			switch k {
			case "description", "is_array":
			case "$ref":
				ref, _ := val.(string)
				out["$ref"] = "#/components/schemas/" + schemaName(strings.TrimPrefix(ref, "#/definitions/"))
			default:
				out[k] = convertSchema(val)
			}
		}
		if isArray, _ := x["is_array"].(bool); isArray {
			return obj{"type": "array", "items": out}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = convertSchema(e)
		}
		return out
	}
	return v
}

// entity fixes what grape-swagger lost in an entity: properties named in
// the plural that refer to an entity are lists of it, and every value may
// be null (Barong renders absent values as null).
func entity(v any) any {
	e, ok := v.(obj)
	if !ok {
		return v
	}
	props, _ := e["properties"].(obj)
	for name, p := range props {
		prop, _ := p.(obj)
		switch {
		case prop["$ref"] != nil && strings.HasSuffix(name, "s"):
			props[name] = obj{"type": []any{"array", "null"}, "items": obj{"$ref": prop["$ref"]}}
		case prop["$ref"] != nil:
			props[name] = obj{"oneOf": []any{obj{"$ref": prop["$ref"]}, obj{"type": "null"}}}
		case prop["type"] != nil:
			t := prop["type"]
			if !slices.Contains([]any{"string", "integer", "number", "boolean", "object", "array"}, t) {
				t = "string" // grape-swagger wrote "s" for a time
			}
			if t == "integer" || t == "number" {
				// Barong renders some numbers as strings (entropy, ids).
				prop["type"] = []any{t, "string", "null"}
			} else {
				prop["type"] = []any{t, "null"}
			}
			delete(prop, "format")
		}
	}
	return e
}

// fixedSchemas are the shapes barong-go defines itself.
func fixedSchemas() obj {
	return obj{
		"Errors": obj{"type": "object", "required": []any{"errors"},
			"properties": obj{
				"errors":     obj{"type": "array", "items": obj{"type": "string"}, "description": "Barong's error keys."},
				"request_id": obj{"type": "string", "description": "The request's X-Request-Id."},
			}},
		"ManagementError": obj{"description": "Barong's management error shapes.", "oneOf": []any{
			obj{"type": "object", "required": []any{"error"}, "properties": obj{"error": obj{"type": "string"}}},
			obj{"type": "object", "required": []any{"error"}, "properties": obj{"error": obj{"type": "array", "items": obj{"type": "string"}}}},
			obj{"type": "object", "required": []any{"errors"}, "properties": obj{"errors": obj{"type": "array", "items": obj{"type": "string"}}}},
			obj{"type": "object", "additionalProperties": obj{"type": "array", "items": obj{"type": "string"}}},
		}},
		"ManagementJWS": obj{"type": "object", "required": []any{"payload", "signatures"},
			"description": "A JWS in JSON general serialization. The payload (base64url) holds the claims iat, exp, jti and data, the endpoint's parameters; each signature's header names the signer's kid in management_api.yml.",
			"properties": obj{
				"payload": obj{"type": "string"},
				"signatures": obj{"type": "array", "minItems": 1, "items": obj{"type": "object", "required": []any{"protected", "header", "signature"},
					"properties": obj{
						"protected": obj{"type": "string"},
						"header":    obj{"type": "object", "required": []any{"kid"}, "properties": obj{"kid": obj{"type": "string"}}},
						"signature": obj{"type": "string"},
					}}},
			}},
		"Status": obj{"description": "Barong's body of a status-only answer: the status number.", "type": "integer"},
		"Session": obj{"type": "object", "description": "A live session (docs/sessions-and-passkeys.md).",
			"required": []any{"id", "user_ip", "user_agent", "current", "created_at", "last_seen_at"},
			"properties": obj{
				"id":              obj{"type": "string", "description": "Hex SHA-256 of the session id; the id itself is never shown."},
				"user_ip":         obj{"type": "string"},
				"user_ip_country": obj{"type": []any{"string", "null"}, "description": "GeoIP country name, null when unknown."},
				"user_agent":      obj{"type": "string"},
				"current":         obj{"type": "boolean", "description": "The caller's own session."},
				"created_at":      obj{"type": "string", "format": "date-time"},
				"last_seen_at":    obj{"type": "string", "format": "date-time"},
			}},
		"Passkey": obj{"type": "object", "description": "A registered passkey (WebAuthn credential).",
			"required": []any{"id", "name", "credential_id", "created_at"},
			"properties": obj{
				"id":              obj{"type": "integer"},
				"name":            obj{"type": "string"},
				"credential_id":   obj{"type": "string", "description": "base64url"},
				"aaguid":          obj{"type": []any{"string", "null"}},
				"transports":      obj{"type": []any{"array", "null"}, "items": obj{"type": "string"}},
				"backup_eligible": obj{"type": "boolean"},
				"backed_up":       obj{"type": "boolean"},
				"created_at":      obj{"type": "string", "format": "date-time"},
				"last_used_at":    obj{"type": []any{"string", "null"}, "format": "date-time"},
			}},
		"WebAuthnOptions": obj{"type": "object", "required": []any{"publicKey"},
			"description": "Ceremony options: pass publicKey to navigator.credentials.create or .get (or PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON).",
			"properties":  obj{"publicKey": obj{"type": "object"}}},
		"Health": obj{"type": "object", "required": []any{"status"}, "properties": obj{
			"status": obj{"type": "string", "enum": []any{"ok", "unavailable"}},
			"failed": obj{"type": "array", "items": obj{"type": "string"}, "description": "The components that do not answer."},
			"checks": obj{"type": "object", "description": "Each component (database, redis, rabbitmq) and its state: ok, unavailable or migrations pending.",
				"additionalProperties": obj{"type": "string"}},
		}},
	}
}

func securitySchemes() obj {
	return obj{
		"sessionCookie": obj{"type": "apiKey", "in": "cookie", "name": "_barong_session",
			"description": "The session cookie set by POST /api/v2/auth/identity/sessions (name: BARONG_SESSION_NAME)."},
		"csrfToken": obj{"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
			"description": "The csrf_token of the sign-in answer; required with the session cookie on every method but GET."},
		"apiKey": obj{"type": "apiKey", "in": "header", "name": "X-Auth-Apikey", "description": "The API key's kid."},
		"apiKeyNonce": obj{"type": "apiKey", "in": "header", "name": "X-Auth-Nonce",
			"description": "Milliseconds since the epoch, within BARONG_APIKEY_NONCE_LIFETIME; each (kid, nonce) is accepted once."},
		"apiKeySignature": obj{"type": "apiKey", "in": "header", "name": "X-Auth-Signature",
			"description": "hex(HMAC-SHA256(secret, nonce + kid))."},
		"bearerJWT": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
			"description": "A token answered by the gateway check (RS256 or EdDSA, see /.well-known/jwks.json)."},
	}
}

// security is the requirement of a family's operation.
func security(family, method string) []any {
	switch family {
	case "resource", "admin":
		cookie := obj{"sessionCookie": []any{}}
		if method != "GET" {
			cookie["csrfToken"] = []any{}
		}
		return []any{cookie, obj{"apiKey": []any{}, "apiKeyNonce": []any{}, "apiKeySignature": []any{}}, obj{"bearerJWT": []any{}}}
	}
	return []any{} // identity, public; management signs its body
}

// prefixes are the resource part of Barong's parameter keys
// (<family>.<resource>.missing_<param>, reference §1.6) by first path
// segment.
var prefixes = map[string]string{
	"sessions": "session", "users": "user", "labels": "label", "profiles": "profile", "phones": "phone",
	"otp": "otp", "api_keys": "apikey", "service_accounts": "serviceaccount", "data_storage": "datastorage",
	"documents": "document", "addresses": "address", "password": "general", "permissions": "permission",
	"restrictions": "restriction", "activities": "activity", "metrics": "metric", "levels": "level",
	"abilities": "ability", "kyc": "general", "ping": "general", "time": "general", "version": "general", "configs": "general",
}

func keyPrefix(r Route) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
	res, ok := prefixes[seg]
	if !ok {
		res = strings.TrimSuffix(seg, "s")
	}
	return r.Family + "." + res
}

// operation is the OpenAPI operation of r.
func (g *generator) operation(r Route, sw swaggerOp, refKeys []string, schemas obj) obj {
	op := obj{"summary": r.Summary, "tags": []any{r.Family}, "operationId": operationID(r),
		"security": security(r.Family, r.Method)}
	// The route's guard: the admin ability of abilities.yml the caller's
	// role needs, or the management_api.yml scope whose signers sign.
	if r.Ability != "" {
		op["x-barong-ability"] = r.Ability
	}
	if r.Scope != "" {
		op["x-barong-scope"] = r.Scope
	}
	var params []any
	for _, m := range wildcard.FindAllString(r.Path, -1) {
		params = append(params, obj{"name": strings.Trim(m, "{}"), "in": "path", "required": true, "schema": obj{"type": "string"}})
	}
	body := obj{}
	var required []any
	keys := map[string]int{}
	prefix := keyPrefix(r)
	for _, p := range sw.Parameters {
		if p.In == "path" {
			continue
		}
		schema := paramSchema(p)
		if r.Family != "management" && (r.Method == "GET" || r.Method == "DELETE" || p.In == "query") {
			params = append(params, obj{"name": p.Name, "in": "query", "required": p.Required, "schema": schema})
		} else {
			body[p.Name] = schema
			if p.Required {
				required = append(required, p.Name)
			}
		}
		if p.Required && r.Family != "management" {
			keys[prefix+".missing_"+p.Name] = 400
			keys[prefix+".empty_"+p.Name] = 400
		}
	}
	if params != nil {
		op["parameters"] = params
	}
	bodyOp := r.Method != "GET" && r.Method != "DELETE"
	if r.Family == "management" {
		name := "Management" + exported(operationID(r)) + "Data"
		data := obj{"type": "object", "properties": body, "description": "The data claim of the payload."}
		if required != nil {
			data["required"] = required
		}
		schemas[name] = data
		op["description"] = "The JWS payload's data claim is #/components/schemas/" + name + "."
		op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/ManagementJWS"}}}}
	} else if bodyOp {
		name := exported(operationID(r)) + "Body"
		s := obj{"type": "object", "properties": body}
		if required != nil {
			s["required"] = required
		}
		schemas[name] = s
		ref := obj{"schema": obj{"$ref": "#/components/schemas/" + name}}
		op["requestBody"] = obj{"required": required != nil, "content": obj{"application/json": ref,
			"application/x-www-form-urlencoded": ref, "multipart/form-data": ref}}
	}
	op["responses"] = g.operationResponses(r, sw, refKeys, keys, bodyOp)
	return op
}

func paramSchema(p swaggerParam) obj {
	if p.Schema != nil {
		return p.Schema
	}
	s := obj{"type": p.Type}
	if p.Type == "" {
		s["type"] = "string"
	}
	if p.Format != "" && p.Format != "int32" {
		s["format"] = p.Format
	}
	return s
}

// responses lists the success answer (Barong's code and entity) and the
// errors by status with their keys.
func (g *generator) operationResponses(r Route, sw swaggerOp, refKeys []string, keys map[string]int, bodyOp bool) obj {
	out := obj{}
	success := ownSuccess[r.Method+" "+r.Family+r.Path]
	for code := range sw.Responses {
		if strings.HasPrefix(code, "2") && (success == "" || code < success) && ownSuccess[r.Method+" "+r.Family+r.Path] == "" {
			success = code
		}
	}
	if success == "" {
		success = map[string]string{"POST": "201", "DELETE": "204"}[r.Method]
		if success == "" || r.Family == "management" && r.Method == "POST" {
			success = "200"
		}
	}
	ok := obj{"description": "Success."}
	if success != "204" {
		schema := any(obj{"description": "Any JSON value; a status-only answer is the status number."})
		if known, found := knownBodies[r.Method+" "+r.Family+r.Path]; found {
			schema = known
		} else if known, found := knownBodies[r.Family+r.Path]; found {
			schema = known
		} else if raw := sw.Responses[success].Schema; len(raw) > 0 {
			var v any
			_ = json.Unmarshal(raw, &v)
			schema = convertSchema(v)
			if list(r, sw) {
				schema = obj{"type": "array", "items": schema}
			}
		}
		ok["content"] = obj{"application/json": obj{"schema": schema}}
	}
	out[success] = ok

	if r.Family == "management" {
		errs := obj{"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/ManagementError"}}}}
		for code, what := range map[string]string{
			"400": "Transport refused: query parameters, not JSON, unparsable JWS (Couldn't parse JWT.).",
			"401": "Signature, claims or jti refused (Failed to verify JWT., Not enough signatures for the action.).",
			"404": "Record not found.", "405": "Only POST and PUT verbs are allowed.",
			"413": "Request body is too large.", "422": "Validation failed (Grape's English messages).",
		} {
			e := obj{"description": what}
			for k, v := range errs {
				e[k] = v
			}
			out[code] = e
		}
		return out
	}

	keys["server.internal_error"] = 500
	if strings.Contains(r.Path, "{") {
		keys["record.not_found"] = 404
	}
	if bodyOp {
		keys["request.invalid_body"] = 400
		keys["request.body_too_large"] = 413
		keys["request.unsupported_content_type"] = 415
	}
	switch r.Family {
	case "identity", "public":
		keys["authz.restrict.maintenance"] = 471
		keys["authz.restrict.blacklist"] = 401
	case "resource", "admin":
		for _, k := range []string{"authz.invalid_session", "authz.missing_csrf_token", "authz.csrf_token_mismatch",
			"authz.client_session_mismatch", "authz.user_not_active", "authz.invalid_permission", "authz.unexistent_apikey",
			"authz.invalid_signature", "authz.nonce_expired", "authz.apikey_not_active", "jwt.decode_and_verify"} {
			keys[k] = 401
		}
		keys["authz.invalid_api_key_headers"] = 422
		keys["authz.restrict.maintenance"] = 471
	}
	if r.Family == "admin" {
		keys["admin.ability.not_permitted"] = 401
	}
	byStatus := map[int][]string{}
	for k, st := range keys {
		byStatus[st] = append(byStatus[st], k)
	}
	// A key may come with several statuses (a derived missing_ key at 400
	// and the reference's own at 401).
	for _, k := range append(refKeys, ownKeys[r.Method+" "+r.Family+r.Path]...) {
		k, status, _ := strings.Cut(k, "@") // an own key's status at this endpoint
		st, err := strconv.Atoi(status)
		if err != nil {
			st = g.statusOf(k)
		}
		if !slices.Contains(byStatus[st], k) {
			byStatus[st] = append(byStatus[st], k)
		}
	}
	statuses := make([]int, 0, len(byStatus))
	for st := range byStatus {
		statuses = append(statuses, st)
	}
	sort.Ints(statuses)
	for _, st := range statuses {
		ks := byStatus[st]
		sort.Strings(ks)
		out[strconv.Itoa(st)] = g.response(ks)
	}
	return out
}

// generator holds what one Generate call collects: the error responses
// shared as components/responses (one per distinct list of keys) and the
// status the reference gives each key.
type generator struct {
	byKeys    map[string]string // joined keys → component name
	responses obj
	keyStatus map[string]int
}

// response returns a reference to the component answering keys.
func (g *generator) response(keys []string) obj {
	sig := strings.Join(keys, ",")
	name, ok := g.byKeys[sig]
	if !ok {
		name = fmt.Sprintf("Errors%d", len(g.byKeys)+1)
		g.byKeys[sig] = name
		resp := obj{
			"description":         "Error keys: " + strings.Join(keys, ", ") + ".",
			"x-barong-error-keys": keys,
			"content":             obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}},
		}
		if slices.Contains(keys, throttledKey) {
			resp["headers"] = obj{"Retry-After": obj{"required": true, "schema": obj{"type": "integer", "minimum": 1},
				"description": "Seconds to wait before the next attempt (the sign-in throttle never sleeps: it refuses at once)."}}
		}
		g.responses[name] = resp
	}
	return obj{"$ref": "#/components/responses/" + name}
}

// list reports whether a GET answers a list of its entity, which
// grape-swagger did not record: it takes page and limit, or its path ends
// in a plural noun.
func list(r Route, sw swaggerOp) bool {
	if r.Family == "management" {
		return strings.HasSuffix(r.Path, "/list") || r.Path == "/labels/filter/users" || r.Path == "/phones/get"
	}
	if r.Method != "GET" {
		return false
	}
	for _, p := range sw.Parameters {
		if p.Name == "limit" {
			return true
		}
	}
	last := r.Path[strings.LastIndexByte(r.Path, '/')+1:]
	return strings.HasSuffix(last, "s") && !strings.HasPrefix(last, "{") && last != "abilities" && last != "metrics"
}

// ownOps describe, as Barong's swagger would, the endpoints its swagger
// files lack.
var ownOps = map[string]swaggerOp{
	"POST identity /sessions/auth0": {Parameters: []swaggerParam{{In: "formData", Name: "id_token", Type: "string", Required: true},
		{In: "formData", Name: "otp_code", Type: "string"}},
		Responses: map[string]swaggerResponse{"200": {Schema: json.RawMessage(`{"$ref":"#/definitions/API_V2_Entities_UserWithFullInfo"}`)}}},
	"POST management /api_keys": {Parameters: []swaggerParam{{In: "formData", Name: "uid", Type: "string", Required: true},
		{In: "formData", Name: "algorithm", Type: "string", Required: true}, {In: "formData", Name: "scopes", Type: "string"}},
		Responses: map[string]swaggerResponse{"201": {Schema: json.RawMessage(`{"$ref":"#/definitions/API_V2_Entities_APIKey"}`)}}},
	"POST management /api_keys/update": {Parameters: []swaggerParam{{In: "formData", Name: "uid", Type: "string", Required: true},
		{In: "formData", Name: "kid", Type: "string", Required: true}, {In: "formData", Name: "scopes", Type: "string"},
		{In: "formData", Name: "state", Type: "string"}},
		Responses: map[string]swaggerResponse{"201": {Schema: json.RawMessage(`{"$ref":"#/definitions/API_V2_Entities_APIKey"}`)}}},
	"POST management /service_accounts/update": {Parameters: []swaggerParam{{In: "formData", Name: "uid", Type: "string", Required: true},
		{In: "formData", Name: "owner_uid", Type: "string"}},
		Responses: map[string]swaggerResponse{"201": {Schema: json.RawMessage(`{"$ref":"#/definitions/API_V2_Entities_ServiceAccounts"}`)}}},
}

// throttledKey is the sign-in throttle's refusal, answered with Retry-After.
const throttledKey = "identity.session.too_many_attempts"

// credentialSchema is a PublicKeyCredential parameter: its JSON object, or
// a string holding it.
var credentialSchema = obj{"type": []any{"object", "string"},
	"description": "The PublicKeyCredential the browser returned (its JSON, e.g. credential.toJSON()), or a string holding it."}

// pagination are the page and limit parameters of a list.
var pagination = []swaggerParam{{In: "query", Name: "page", Type: "integer"}, {In: "query", Name: "limit", Type: "integer"}}

// sessionOps and passkeyOps are the endpoints of issue 15
// (docs/sessions-and-passkeys.md), which Barong never had.
var sessionOps = map[string]swaggerOp{
	"GET resource /sessions":    {Parameters: pagination},
	"GET admin /users/sessions": {Parameters: append([]swaggerParam{{In: "query", Name: "uid", Type: "string", Required: true}}, pagination...)},
	"DELETE admin /users/sessions": {Parameters: []swaggerParam{{In: "query", Name: "uid", Type: "string", Required: true},
		{In: "query", Name: "id", Type: "string"}}},
	"POST management /sessions/list": {Parameters: []swaggerParam{{In: "formData", Name: "uid", Type: "string", Required: true}}},
	"POST management /sessions/delete": {Parameters: []swaggerParam{{In: "formData", Name: "uid", Type: "string", Required: true},
		{In: "formData", Name: "id", Type: "string"}}},
	"POST resource /webauthn/credentials/options": {Parameters: []swaggerParam{{In: "formData", Name: "otp_code", Type: "string"},
		{In: "formData", Name: "password", Type: "string"}}},
	"POST resource /webauthn/credentials": {Parameters: []swaggerParam{{In: "formData", Name: "credential", Required: true, Schema: credentialSchema},
		{In: "formData", Name: "name", Type: "string"}}},
	"PATCH resource /webauthn/credentials/{}": {Parameters: []swaggerParam{{In: "formData", Name: "name", Type: "string", Required: true}}},
	"POST identity /sessions/webauthn": {Parameters: []swaggerParam{{In: "formData", Name: "credential", Required: true, Schema: credentialSchema}},
		Responses: map[string]swaggerResponse{"201": {Schema: json.RawMessage(`{"$ref":"#/definitions/API_V2_Entities_UserWithFullInfo"}`)}}},
}

// ownParams are barong-go's parameters of Barong's endpoints.
var ownParams = map[string][]swaggerParam{
	// The first superadmin's one-time token (printed at start).
	"POST identity /users": {{In: "formData", Name: "setup_token", Type: "string"}},
	// A passkey assertion as the second factor instead of otp_code.
	"POST identity /sessions": {{In: "formData", Name: "credential", Schema: credentialSchema}},
}

// ownSuccess are success statuses that differ from the swagger's.
var ownSuccess = map[string]string{
	"POST resource/webauthn/credentials/options": "200",
	"POST identity/sessions/webauthn/options":    "200",
	"POST management/timestamp":                  "200",
	"POST management/users/list":                 "200",
	"POST management/labels/filter/users":        "200",
	"POST management/service_accounts/get":       "200",
	"POST management/service_accounts/list":      "200",
	"POST management/service_accounts/delete":    "200",
	"PUT management/labels":                      "200",
	"POST management/labels/delete":              "204",
	"POST admin/restrictions/whitelink":          "201",
}

// ownKeys are keys of barong-go's own decisions (interface.md, README's
// differences, docs/sessions-and-passkeys.md) that the reference does not
// list for the endpoint; key@status gives a key its status at that
// endpoint.
var ownKeys = map[string][]string{
	"POST identity/sessions": {throttledKey, "identity.session.invalid_passkey_format",
		"identity.session.invalid_passkey@403", "identity.session.passkey_cloned@403", "identity.session.passkey_challenge_expired@401"},
	"POST identity/users":                     {"identity.user.invalid_setup_token"},
	"POST identity/sessions/webauthn/options": {throttledKey, "authz.restrict.blocklogin"},
	"POST identity/sessions/webauthn": {"identity.session.invalid_passkey_format", "identity.session.passkey_challenge_expired@401",
		"identity.session.invalid_passkey@401", "identity.session.passkey_cloned@401", "identity.session.banned@401",
		"identity.session.deleted@401", "identity.session.not_active@401", throttledKey, "authz.restrict.blocklogin"},
	"DELETE resource/sessions/{id}": {"resource.session.not_found@404"},
	"GET admin/users/sessions":      {"admin.user.doesnt_exist"},
	"DELETE admin/users/sessions": {"admin.user.doesnt_exist", "admin.session.not_found@404", "admin.user.superadmin_change",
		"admin.user.empty_id"},
	"POST resource/webauthn/credentials/options": {"resource.webauthn.missing_otp_code", "resource.webauthn.invalid_otp",
		"resource.webauthn.missing_password", "resource.webauthn.invalid_password", "resource.webauthn.limit_reached",
		"totp.too_many_attempts", "password.too_many_attempts"},
	"POST resource/webauthn/credentials": {"resource.webauthn.invalid_credential_format", "resource.webauthn.challenge_expired",
		"resource.webauthn.invalid_credential", "resource.webauthn.already_registered", "resource.webauthn.limit_reached",
		"resource.webauthn.name_too_long"},
	"PATCH resource/webauthn/credentials/{id}":  {"resource.webauthn.not_found@404", "resource.webauthn.name_too_long"},
	"DELETE resource/webauthn/credentials/{id}": {"resource.webauthn.not_found@404"},
	"GET resource/profiles/me":                  {"resource.profile.not_exist"},
	"POST resource/profiles":                    {"state.exists"},
	"POST resource/otp/verify":                  {"resource.otp.not_enabled"},
	"POST identity/users/access":                {"identity.user.utilized_token"},
	"POST public/kyc":                           {"public.kyc.disabled"},
}

// knownBodies are success bodies the swagger files do not describe.
var knownBodies = map[string]obj{
	"identity/ping": {"type": "object", "required": []any{"ping"}, "properties": obj{"ping": obj{"const": "pong"}}},
	"public/ping":   {"type": "object", "required": []any{"ping"}, "properties": obj{"ping": obj{"const": "pong"}}},
	"identity/time": {"type": "object", "required": []any{"time"}, "properties": obj{"time": obj{"type": "integer"}}},
	"public/time":   {"type": "object", "required": []any{"time"}, "properties": obj{"time": obj{"type": "integer"}}},
	"identity/version": {"type": "object", "properties": obj{"git_tag": obj{"type": "string"}, "git_sha": obj{"type": "string"},
		"build_date": obj{"type": "string"}, "version": obj{"type": "string"}}},
	"identity/configs": {"type": "object", "description": "Public settings: session_expire_time, captcha_type, captcha_id, phone_verification_type, password_min_entropy, password_regexp and, when set, auth0_domain, auth0_client_id and kyc_provider."},
	"public/version": {"type": "object", "properties": obj{"git_tag": obj{"type": "string"}, "git_sha": obj{"type": "string"},
		"build_date": obj{"type": "string"}, "version": obj{"type": "string"}}},
	"public/configs":       {"type": "object", "description": "As identity/configs."},
	"public/swagger":       {"type": "object", "description": "This document."},
	"management/timestamp": {"type": "object", "required": []any{"timestamp"}, "properties": obj{"timestamp": obj{"type": "integer"}}},

	"resource/sessions":                     sessionList,
	"admin/users/sessions":                  sessionList,
	"management/sessions/list":              sessionList,
	"management/sessions/delete":            sessionList,
	"GET resource/webauthn/credentials":     {"type": "array", "items": obj{"$ref": "#/components/schemas/Passkey"}},
	"POST resource/webauthn/credentials":    {"$ref": "#/components/schemas/Passkey"},
	"resource/webauthn/credentials/{id}":    {"$ref": "#/components/schemas/Passkey"},
	"resource/webauthn/credentials/options": {"$ref": "#/components/schemas/WebAuthnOptions"},
	"identity/sessions/webauthn/options":    {"$ref": "#/components/schemas/WebAuthnOptions"},
}

var sessionList = obj{"type": "array", "items": obj{"$ref": "#/components/schemas/Session"}}

// statusOf is the status Barong answers a key with, by its form.
func (g *generator) statusOf(k string) int {
	param := strings.Contains(k, ".missing_") || strings.Contains(k, ".empty_")
	if st, ok := g.keyStatus[k]; ok && !(param && st == 422) {
		return st // Barong's 422 for a missing parameter is 400 here (interface.md)
	}
	switch {
	case param:
		return 400
	case strings.HasPrefix(k, "authz.") || k == "jwt.decode_and_verify" || k == "admin.ability.not_permitted":
		return 401
	case k == "record.not_found" || strings.HasSuffix(k, ".doesnt_exist") || strings.HasSuffix(k, ".not_exist"):
		return 404
	case strings.HasSuffix(k, ".too_many_attempts"):
		return 429
	case k == "state.exists":
		return 409
	}
	return 422
}

// operationID is postResourceApiKeys for POST /resource/api_keys.
func operationID(r Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.Method))
	for _, part := range strings.FieldsFunc(r.Family+r.Path, func(c rune) bool { return c == '/' || c == '_' || c == '{' || c == '}' }) {
		b.WriteString(exported(part))
	}
	return b.String()
}

func exported(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	endpointRef = regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) /(identity|public|resource|admin|management)(/[^`]*)`")
	keyRef      = regexp.MustCompile("`([a-z0-9_]+(?:\\.[a-z0-9_]+)+)`")
	section     = regexp.MustCompile(`(?m)^#{2,4} `)
)

// statusBefore finds the status the reference writes just before a key
// ("**401** `identity.session.banned`").
var statusBefore = regexp.MustCompile(`\b([1-5]\d\d)[*\s]*$`)

// referenceKeys maps "METHOD family shape" to the error keys the
// reference names for that endpoint: the backquoted keys between its
// mention (`POST /resource/api_keys`) and the next endpoint or heading.
func (g *generator) referenceKeys(ref string) map[string][]string {
	out := map[string][]string{}
	locs := endpointRef.FindAllStringSubmatchIndex(ref, -1)
	for i, loc := range locs {
		end := len(ref)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if h := section.FindStringIndex(ref[loc[1]:end]); h != nil {
			end = loc[1] + h[0]
		}
		method, family := ref[loc[2]:loc[3]], ref[loc[4]:loc[5]]
		path := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(ref[loc[6]:loc[7]], "{$1}")
		path = strings.TrimSuffix(strings.Fields(path + " ")[0], ",")
		k := method + " " + family + " " + shape(path)
		text := ref[loc[1]:end]
		for _, m := range keyRef.FindAllStringSubmatchIndex(text, -1) {
			key := text[m[2]:m[3]]
			if !looksLikeKey(key) || slices.Contains(out[k], key) {
				continue
			}
			out[k] = append(out[k], key)
			if st := statusBefore.FindStringSubmatch(text[max(0, m[0]-24):m[0]]); st != nil {
				n, _ := strconv.Atoi(st[1])
				g.keyStatus[key] = n
			}
		}
	}
	return out
}

// looksLikeKey keeps error keys and drops event names, claims and file
// names that the reference also quotes.
func looksLikeKey(k string) bool {
	for _, p := range []string{"system.", "model.", "barong.", "config.", "api.", "v2."} {
		if strings.HasPrefix(k, p) {
			return false
		}
	}
	for _, s := range []string{".yml", ".json", ".rb", ".pem"} {
		if strings.HasSuffix(k, s) {
			return false
		}
	}
	parts := strings.Split(k, ".")
	switch parts[0] {
	case "identity", "public", "resource", "admin", "authz", "jwt", "record", "totp", "superadmin", "user", "api_keys",
		"password", "email", "data", "key", "value", "role", "kid", "algorithm", "title", "state", "upload", "phone",
		"country", "doc_number", "doc_type", "doc_expire", "first_name", "last_name", "dob", "address", "city",
		"postcode", "username", "referral_id", "api_key", "scope", "description", "code", "category":
		return true
	}
	return false
}

// extraPaths are the endpoints outside the families.
func extraPaths() obj {
	healthResponse := func(description string) obj {
		return obj{"description": description, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Health"}}}}
	}
	readyz := obj{"get": obj{"summary": "Readiness: the database (migrated), Redis and RabbitMQ when configured answer within 2 s",
		"tags": []any{"operations"}, "operationId": "getReadyz", "security": []any{},
		"responses": obj{"200": healthResponse("Ready."), "503": healthResponse("A dependency does not answer (named in failed).")}}}
	healthz := obj{"get": obj{"summary": "Liveness: the process serves HTTP (depends on nothing else)", "tags": []any{"operations"},
		"operationId": "getHealthz", "security": []any{}, "responses": obj{"200": healthResponse("Alive.")}}}
	authzOp := func(method string) obj {
		return obj{"summary": "The gateway check of the request to /{path}", "tags": []any{"authz"},
			"operationId": method + "Authz",
			"description": "Any method; {path} is everything after /api/v2/auth/ and may contain slashes (e.g. api/v2/peatio/account/balances). The answer has no body when allowed: 200 with Authorization: Bearer <JWT> for a caller, 200 without it for a pass-listed path. A refusal repeats its body in X-Barong-Errors (for nginx's auth_request).",
			"parameters":  []any{obj{"name": "path", "in": "path", "required": true, "schema": obj{"type": "string"}}},
			"security":    []any{obj{"sessionCookie": []any{}, "csrfToken": []any{}}, obj{"apiKey": []any{}, "apiKeyNonce": []any{}, "apiKeySignature": []any{}}, obj{}},
			"responses": obj{
				"200": obj{"description": "Allowed.", "headers": obj{
					"Authorization": obj{"description": "Bearer <JWT> for an authenticated caller.", "schema": obj{"type": "string"}},
					"X-Request-Id":  obj{"description": "The request id, for the upstream.", "schema": obj{"type": "string"}}}},
				"401": obj{"description": "Error keys: authz.invalid_session, authz.missing_csrf_token, authz.csrf_token_mismatch, authz.client_session_mismatch, authz.user_not_active, authz.unexistent_apikey, authz.nonce_not_valid_timestamp, authz.nonce_expired, authz.invalid_signature, authz.apikey_not_active, authz.disabled_2fa, authz.invalid_permission, authz.permission_denied, authz.restrict.blacklist.",
					"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
				"400": obj{"description": "Error keys: authz.invalid_path (the path is not one canonical string: dot segments raw or encoded, path parameters, encoded slashes, backslashes or percent signs, NUL, control characters, empty segments).",
					"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
				"422": obj{"description": "Error keys: authz.invalid_api_key_headers.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
				"471": obj{"description": "Error keys: authz.restrict.maintenance (other restrictions answer their configured code).", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
			}}
	}
	authzItem := obj{}
	for _, m := range []string{"get", "post", "put", "patch", "delete"} {
		authzItem[m] = authzOp(m)
	}
	plain := func(id, summary, ctype string) obj {
		return obj{"get": obj{"summary": summary, "tags": []any{"operations"}, "operationId": id, "security": []any{},
			"responses": obj{"200": obj{"description": "Success.", "content": obj{ctype: obj{"schema": obj{"type": "string"}}}}}}}
	}
	jwks := plain("getJWKS", "The public keys of the JWT key (JWKS)", "application/json")
	jwks["get"].(obj)["responses"].(obj)["200"].(obj)["content"] = obj{"application/json": obj{"schema": obj{"type": "object",
		"required": []any{"keys"}, "properties": obj{"keys": obj{"type": "array", "items": obj{"type": "object"}}}}}}
	swaggerDoc := plain("getManagementSwagger", "This OpenAPI document (also at /api/v2/auth/public/swagger)", "application/json")
	forward := obj{"get": obj{"summary": "Traefik forwardAuth: the gateway check of X-Forwarded-Method and X-Forwarded-Uri",
		"tags": []any{"authz"}, "operationId": "getForwardAuth", "security": []any{},
		"parameters": []any{
			obj{"name": "X-Forwarded-Uri", "in": "header", "required": true, "schema": obj{"type": "string"}},
			obj{"name": "X-Forwarded-Method", "in": "header", "required": false, "schema": obj{"type": "string"}},
		},
		"responses": obj{
			"200": obj{"description": "Allowed (Authorization: Bearer <JWT> for a caller)."},
			"400": obj{"description": "Error keys: authz.missing_forwarded_uri, authz.invalid_path.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
			"401": obj{"description": "Refused, as the gateway check.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
		}}}
	uploads := obj{"get": obj{"summary": "A local upload, through the signed link of a document entity", "tags": []any{"operations"},
		"operationId": "getUpload", "security": []any{},
		"parameters": []any{
			obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string"}},
			obj{"name": "expires", "in": "query", "required": true, "schema": obj{"type": "string"}},
			obj{"name": "signature", "in": "query", "required": true, "schema": obj{"type": "string"}},
		},
		"responses": obj{
			"200": obj{"description": "The file.", "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}},
			"403": obj{"description": "Expired or forged link.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
			"404": obj{"description": "No such file.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Errors"}}}},
		}}}
	return obj{
		"/uploads/{key}":                  uploads,
		"/healthz":                        healthz,
		"/readyz":                         readyz,
		"/metrics":                        plain("getMetrics", "Prometheus metrics", "text/plain"),
		"/.well-known/jwks.json":          jwks,
		"/api/v2/auth/{path}":             authzItem,
		"/api/v2/auth":                    forward,
		"/api/v2/auth/management/swagger": swaggerDoc,
	}
}
