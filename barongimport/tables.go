package barongimport

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// spec is how one of Barong's tables becomes barong-go's table of the same
// name. Columns Barong added over the 2.x versions are read when present.
type spec struct {
	table string
	// target columns, id first.
	cols []string
	// config tables (levels, permissions, restrictions) hold the built-in
	// seeds in a database barong-go has started on: the first import
	// replaces them with Barong's rows.
	config bool
	// noLedger: activities are never changed or deleted by Barong; only
	// new ids are copied (and an id barong-go used otherwise is reported).
	noLedger bool
	// unique lists barong-go's unique keys of the table: column names,
	// "lower:" for case-insensitive ones. Rows of the run that repeat a key
	// are reported (also by a dry run) instead of failing the write.
	unique [][]string
	build  func(im *importer, r row, p *pending)
}

// parentRef is a row another must point at.
type parentRef struct {
	table string
	id    int64
}

// pending is one source row on its way to the target.
type pending struct {
	id      int64
	values  []any
	secrets []*secretField
	parents []parentRef
	digest  string
	created time.Time
	totpKey string
	fail    string
}

func (p *pending) failf(format string, args ...any) {
	if p.fail == "" {
		p.fail = fmt.Sprintf(format, args...)
	}
}

func tableNames() []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.table
	}
	return names
}

// specs in import order: what rows point at comes first.
var specs = []spec{
	{table: "levels", config: true, cols: []string{"id", "key", "value", "description", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.values = []any{r.id(), r.nstr("key"), r.nstr("value"), r.nstr("description"), r.time("created_at"), r.time("updated_at")}
		}},
	{table: "permissions", config: true, cols: []string{"id", "action", "role", "verb", "path", "topic", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			action, verb := r.str("action"), r.str("verb")
			if _, ok := r["verb"]; !ok { // Barong's first permissions: role, req_type, path
				action, verb = "ACCEPT", r.str("req_type")
			}
			p.values = []any{r.id(), strings.ToUpper(action), r.str("role"), strings.ToUpper(verb), r.str("path"), r.nstr("topic"),
				r.time("created_at"), r.time("updated_at")}
		}},
	{table: "restrictions", config: true, unique: [][]string{{"scope", "category", "value"}}, cols: []string{"id", "category", "scope", "value", "code", "state", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			category := r.str("category")
			switch category {
			case "", "denylist": // before 2.4 every restriction blocked; 2.5 renamed the categories for a while
				category = "blacklist"
			case "allowlist":
				category = "whitelist"
			}
			p.values = []any{r.id(), category, r.str("scope"), r.str("value"), r.nint("code"), orDefault(r.str("state"), "enabled"),
				r.time("created_at"), r.time("updated_at")}
		}},
	{table: "users", unique: [][]string{{"uid"}, {"lower:email"}, {"username"}}, cols: []string{"id", "uid", "username", "email", "password_digest", "role", "data", "level", "otp", "state",
		"referral_id", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			uid, email, digest := r.str("uid"), r.str("email"), r.str("password_digest")
			if uid == "" || email == "" {
				p.failf("no uid or e-mail")
			}
			if _, err := bcrypt.Cost([]byte(digest)); err != nil {
				p.failf("password_digest is not a bcrypt hash")
			}
			otp := r.bool("otp")
			if otp {
				p.totpKey = im.opts.VaultAppName + "_" + uid
			}
			p.values = []any{r.id(), uid, r.nstr("username"), email, digest, orDefault(r.str("role"), "member"), r.nstr("data"),
				r.int("level"), otp, orDefault(r.str("state"), "pending"), r.nint("referral_id"), r.time("created_at"), r.time("updated_at")}
		}},
	{table: "service_accounts", unique: [][]string{{"uid"}, {"lower:email"}}, cols: []string{"id", "uid", "owner_id", "email", "role", "level", "state", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			owner := r.nint("owner_id")
			if _, ok := r["owner_id"]; !ok {
				owner = r.nint("provider_id")
			}
			if id, ok := owner.(int64); ok {
				p.parents = append(p.parents, parentRef{"users", id})
			}
			p.values = []any{r.id(), r.str("uid"), owner, r.str("email"), orDefault(r.str("role"), "service_account"), r.int("level"),
				orDefault(r.str("state"), "pending"), r.time("created_at"), r.time("updated_at")}
		}},
	{table: "labels", unique: [][]string{{"user_id", "key", "scope"}}, cols: []string{"id", "user_id", "key", "value", "scope", "description", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.str("key"), r.str("value"), orDefault(r.str("scope"), "public"), r.nstr("description"),
				r.time("created_at"), r.time("updated_at")}
		}},
	{table: "profiles", cols: []string{"id", "user_id", "author", "applicant_id", "first_name_encrypted", "last_name_encrypted",
		"dob_encrypted", "address_encrypted", "postcode", "city", "country", "state", "metadata", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			user := r.nint("user_id")
			if id, ok := user.(int64); ok {
				p.parents = append(p.parents, parentRef{"users", id})
			} else {
				p.failf("no user_id")
			}
			p.values = []any{r.id(), user, r.nstr("author"), r.nstr("applicant_id"), nil, nil, nil, nil, r.nstr("postcode"),
				r.nstr("city"), r.nstr("country"), r.int("state"), r.nstr("metadata"), r.time("created_at"), r.time("updated_at")}
			for i, attr := range []string{"first_name", "last_name", "dob", "address"} {
				im.encrypted(r, p, "profiles", attr, 4+i, -1)
			}
		}},
	{table: "phones", cols: []string{"id", "user_id", "country", "code", "number_encrypted", "number_index", "validated_at",
		"created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.str("country"), r.nstr("code"), nil, int64(0), r.ntime("validated_at"),
				r.time("created_at"), r.time("updated_at")}
			im.encrypted(r, p, "phones", "number", 4, 5)
		}},
	{table: "documents", cols: []string{"id", "user_id", "upload", "doc_type", "doc_expire", "doc_number_encrypted", "doc_number_index",
		"doc_issue", "doc_category", "identificator", "metadata", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.nstr("upload"), r.nstr("doc_type"), r.date("doc_expire"), nil, nil,
				r.date("doc_issue"), r.nstr("doc_category"), r.nstr("identificator"), r.nstr("metadata"), r.time("created_at"), r.time("updated_at")}
			im.encrypted(r, p, "documents", "doc_number", 5, 6)
		}},
	{table: "data_storages", unique: [][]string{{"user_id", "lower:title"}}, cols: []string{"id", "user_id", "title", "data", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.str("title"), r.str("data"), r.time("created_at"), r.time("updated_at")}
		}},
	{table: "comments", cols: []string{"id", "user_id", "author_uid", "title", "data", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.str("author_uid"), r.str("title"), r.str("data"), r.time("created_at"), r.time("updated_at")}
		}},
	{table: "apikeys", unique: [][]string{{"kid"}}, cols: []string{"id", "key_holder_account_id", "key_holder_account_type", "kid", "algorithm", "scope",
		"secret_encrypted", "state", "created_at", "updated_at"},
		build: func(im *importer, r row, p *pending) {
			holder, typ := r.int("key_holder_account_id"), orDefault(r.str("key_holder_account_type"), "User")
			if _, ok := r["key_holder_account_id"]; !ok { // before 2.6: user_id
				holder, typ = r.int("user_id"), "User"
			}
			switch typ {
			case "User":
				p.parents = append(p.parents, parentRef{"users", holder})
			case "ServiceAccount":
				p.parents = append(p.parents, parentRef{"service_accounts", holder})
			default:
				p.failf("unknown key holder type %q", typ)
			}
			scope, err := scopeJSON(r.str("scope"))
			if err != nil {
				p.failf("scope: %v", err)
			}
			kid := r.str("kid")
			if kid == "" {
				p.failf("no kid")
			}
			p.values = []any{r.id(), holder, typ, kid, r.str("algorithm"), scope, nil, orDefault(r.str("state"), "active"),
				r.time("created_at"), r.time("updated_at")}
			im.apiKeySecret(r, p, kid)
		}},
	{table: "activities", noLedger: true, cols: []string{"id", "user_id", "target_uid", "category", "user_ip", "user_ip_country",
		"user_agent", "topic", "action", "result", "data", "created_at"},
		build: func(im *importer, r row, p *pending) {
			p.parents = append(p.parents, parentRef{"users", r.int("user_id")})
			p.values = []any{r.id(), r.int("user_id"), r.nstr("target_uid"), orDefault(r.str("category"), "user"), r.str("user_ip"),
				r.nstr("user_ip_country"), r.str("user_agent"), r.str("topic"), r.str("action"), r.str("result"), r.nstr("data"),
				r.time("created_at")}
		}},
}

// scopeJSON turns an API key's scope as Rails serialised it (a YAML array,
// `serialize :scope, Array`) into barong-go's JSON array (NULL when empty).
func scopeJSON(s string) (any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var list []string
	if err := yaml.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("not a YAML list: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (r row) id() int64 { return r.int("id") }

// str is a text column, "" for NULL or absent.
func (r row) str(c string) string {
	switch v := r[c].(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	default:
		return fmt.Sprint(v)
	}
}

// nstr is a nullable text column: NULL (or absent) stays NULL.
func (r row) nstr(c string) any {
	if r[c] == nil {
		return nil
	}
	return r.str(c)
}

func (r row) int(c string) int64 {
	switch v := r[c].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case uint64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n
	}
	return 0
}

func (r row) nint(c string) any {
	if r[c] == nil {
		return nil
	}
	return r.int(c)
}

func (r row) bool(c string) bool {
	switch v := r[c].(type) {
	case bool:
		return v
	case string:
		return v == "1" || v == "t" || v == "true"
	}
	return r.int(c) != 0
}

// time is a timestamp column as UTC (Rails writes UTC).
func (r row) time(c string) time.Time {
	t, _ := r.ntime(c).(time.Time)
	return t
}

func (r row) ntime(c string) any {
	switch v := r[c].(type) {
	case time.Time:
		return v.UTC()
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC()
			}
		}
	}
	return nil
}

// date is a DATE column as YYYY-MM-DD, NULL stays NULL.
func (r row) date(c string) any {
	switch v := r[c].(type) {
	case time.Time:
		return v.Format(time.DateOnly)
	case string:
		if len(v) >= 10 {
			return v[:10]
		}
	}
	return nil
}
