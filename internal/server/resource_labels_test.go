package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

const resALabelFields = "key,value,scope,created_at,updated_at"

func TestResourceLabelsCreate(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	for i, mount := range resAMounts {
		key := []string{"Hobby  ", "ban"}[i]
		r := c.do(t, "POST", mount+"/labels", map[string]string{"key": key, "value": "Chess"})
		expect(t, r, 201)
		resAWantKeys(t, r.Body, resALabelFields)
		m := r.json(t)
		if m["key"] != strings.ToLower(strings.TrimSpace(key)) || m["value"] != "chess" || m["scope"] != "public" {
			t.Fatalf("label %s", r.Body)
		}
		evs := ts.events(t)
		resAWantEvents(t, evs, "model.label.created")
		rec := evs[0].Body["record"].(map[string]any)
		if rec["key"] != m["key"] || rec["value"] != "chess" || rec["user"].(map[string]any)["uid"] != u.UID {
			t.Fatalf("event %s", evs[0].Raw)
		}
		resAWantKeys(t, resARaw(t, evs[0].Raw, "record"), "id,key,value,user")
	}
	// A public "ban" label never bans (state triggers count private labels only).
	if got := resAUser(t, ts, u.ID); got.State != "pending" || got.Level != 0 {
		t.Fatalf("user %+v", got)
	}
	// The same key in another letter case is taken.
	expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "HOBBY", "value": "golf"}), 422, "key.taken")

	for _, tc := range []struct {
		body   any
		status int
		keys   []string
	}{
		{map[string]any{}, 400, []string{"resource.label.missing_key", "resource.label.empty_key", "resource.label.missing_value", "resource.label.empty_value"}},
		{map[string]any{"key": " ", "value": "abc"}, 400, []string{"resource.label.empty_key"}},
		{map[string]any{"key": "abc"}, 400, []string{"resource.label.missing_value", "resource.label.empty_value"}},
		{map[string]any{"key": "a!", "value": "xy"}, 422, []string{"key.too_short", "key.invalid", "value.too_short"}},
		{map[string]any{"key": strings.Repeat("k", 256), "value": "good"}, 422, []string{"key.too_long"}},
		{map[string]any{"key": "good", "value": "no way"}, 422, []string{"value.invalid"}},
		{map[string]any{"key": "hobby", "value": "v@l"}, 422, []string{"key.taken", "value.invalid"}},
		{map[string]any{"key": []string{"a"}, "value": "good"}, 422, []string{"resource.label.non_string_key"}},
		{"not json", 400, []string{"request.invalid_body"}},
	} {
		expect(t, c.do(t, "POST", res+"/labels", tc.body), tc.status, tc.keys...)
	}
	ls, _ := ts.DB.LabelsByUser(ctx, u.ID)
	if len(ls) != 2 {
		t.Fatalf("labels %+v", ls)
	}
	resAWantEvents(t, ts.events(t))
}

// resARaw returns the raw JSON of member name of the object raw.
func resARaw(t *testing.T, raw []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func resALabelList(t *testing.T, c *client, path string) []map[string]any {
	t.Helper()
	r := c.do(t, "GET", path, nil)
	expect(t, r, 200)
	var l []map[string]any
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestResourceLabelsReadUpdateDelete(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	ts.activate(t, "member@example.com") // private email=verified, level 1
	expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "hobby", "value": "chess"}), 201)
	ts.events(t)

	for _, mount := range resAMounts {
		l := resALabelList(t, c, mount+"/labels")
		if len(l) != 2 || l[0]["key"] != "email" || l[0]["scope"] != "private" || l[1]["key"] != "hobby" {
			t.Fatalf("asc %v", l)
		}
		l = resALabelList(t, c, mount+"/labels?ordering=desc")
		if len(l) != 2 || l[0]["key"] != "hobby" {
			t.Fatalf("desc %v", l)
		}
		r := c.do(t, "GET", mount+"/labels/email", nil)
		expect(t, r, 200)
		resAWantKeys(t, r.Body, resALabelFields)
		if m := r.json(t); m["value"] != "verified" || m["scope"] != "private" {
			t.Fatalf("email label %s", r.Body)
		}
	}
	if l := resALabelList(t, c, res+"/labels?ordering=asc"); l[0]["key"] != "email" {
		t.Fatalf("asc %v", l)
	}
	expect(t, c.do(t, "GET", res+"/labels?ordering=up", nil), 422, "value")
	expect(t, c.do(t, "GET", res+"/labels/nope", nil), 404, "record.not_found")
	if m := c.do(t, "GET", res+"/labels/HOBBY", nil).json(t); m["key"] != "hobby" {
		t.Fatalf("label in other case %v", m)
	}

	// PATCH: parameters, missing label, private label, invalid value.
	expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{}), 400, "resource.label.missing_value", "resource.label.empty_value")
	expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{"value": ""}), 400, "resource.label.empty_value")
	expect(t, c.do(t, "PATCH", res+"/labels/nope", map[string]string{"value": "golf"}), 404, "record.not_found")
	expect(t, c.do(t, "PATCH", res+"/labels/email", map[string]string{"value": "golf"}), 400, "resource.labels.private")
	expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{"value": "go"}), 422, "value.too_short")
	expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{"value": "g o!"}), 422, "value.invalid")
	if l, _ := ts.DB.LabelByKey(ctx, u.ID, "hobby", "public"); l.Value != "chess" {
		t.Fatalf("invalid value saved: %+v", l)
	}
	if l, _ := ts.DB.LabelByKey(ctx, u.ID, "email", "private"); l.Value != "verified" {
		t.Fatalf("private label changed: %+v", l)
	}
	resAWantEvents(t, ts.events(t))

	for i, mount := range resAMounts {
		v := []string{"Golf", "tennis"}[i]
		r := c.do(t, "PATCH", mount+"/labels/hobby", map[string]string{"value": v})
		expect(t, r, 200)
		resAWantKeys(t, r.Body, resALabelFields)
		if m := r.json(t); m["value"] != strings.ToLower(v) || m["scope"] != "public" {
			t.Fatalf("patched %s", r.Body)
		}
		evs := ts.events(t)
		resAWantEvents(t, evs, "model.label.updated")
		want := []string{"chess", "golf"}[i]
		if ch := evs[0].Body["changes"].(map[string]any); ch["value"] != want || len(ch) != 1 {
			t.Fatalf("changes %s", evs[0].Raw)
		}
	}
	// The same value again: 200, no event.
	expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{"value": "tennis"}), 200)
	resAWantEvents(t, ts.events(t))

	// DELETE.
	expect(t, c.do(t, "DELETE", res+"/labels/email", nil), 400, "resource.labels.private")
	expect(t, c.do(t, "DELETE", res+"/labels/nope", nil), 404, "record.not_found")
	r := c.do(t, "DELETE", "/api/v2/resource/labels/hobby", nil)
	expect(t, r, 204)
	if len(r.Body) != 0 {
		t.Fatalf("204 body %q", r.Body)
	}
	expect(t, c.do(t, "GET", res+"/labels/hobby", nil), 404, "record.not_found")
	expect(t, c.do(t, "DELETE", res+"/labels/hobby", nil), 404, "record.not_found")
	resAWantEvents(t, ts.events(t))
	if got := resAUser(t, ts, u.ID); got.State != "active" || got.Level != 1 {
		t.Fatalf("user changed by public labels: %+v", got)
	}
}

// TestResourceLabelsShadowed: a public label sharing its key with an older
// private one is the one users change.
func TestResourceLabelsShadowed(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	if err := ts.DB.CreateLabel(ctx, &barong.Label{UserID: u.ID, Key: "tier", Value: "gold", Scope: "private"}); err != nil {
		t.Fatal(err)
	}
	expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "tier", "value": "wish"}), 201)
	r := c.do(t, "GET", res+"/labels/tier", nil)
	if m := r.json(t); m["scope"] != "private" {
		t.Fatalf("first label %s", r.Body)
	}
	r = c.do(t, "PATCH", res+"/labels/tier", map[string]string{"value": "dream"})
	expect(t, r, 200)
	if m := r.json(t); m["scope"] != "public" || m["value"] != "dream" {
		t.Fatalf("patched %s", r.Body)
	}
	expect(t, c.do(t, "DELETE", res+"/labels/tier", nil), 204)
	if l, err := ts.DB.LabelByKey(ctx, u.ID, "tier", ""); err != nil || l.Scope != "private" || l.Value != "gold" {
		t.Fatalf("private label %+v %v", l, err)
	}
}

// TestResourceLabelsOwnership: nobody reads, changes or deletes another
// user's label.
func TestResourceLabelsOwnership(t *testing.T) {
	t.Parallel()
	ts, alice, _ := resAMember(t, nil, "alice@example.com")
	bob, _ := ts.signUp(t, "bob@example.com")
	b, _ := ts.DB.UserByEmail(context.Background(), "bob@example.com")
	expect(t, bob.do(t, "POST", res+"/labels", map[string]string{"key": "secret", "value": "bobs"}), 201)
	ts.events(t)
	expect(t, alice.do(t, "GET", res+"/labels/secret", nil), 404, "record.not_found")
	expect(t, alice.do(t, "PATCH", res+"/labels/secret", map[string]string{"value": "alices"}), 404, "record.not_found")
	expect(t, alice.do(t, "DELETE", res+"/labels/secret", nil), 404, "record.not_found")
	if l := resALabelList(t, alice, res+"/labels"); len(l) != 0 {
		t.Fatalf("alice sees %v", l)
	}
	l, err := ts.DB.LabelByKey(context.Background(), b.ID, "secret", "public")
	if err != nil || l.Value != "bobs" {
		t.Fatalf("bob's label %+v %v", l, err)
	}
	resAWantEvents(t, ts.events(t))
	// Alice may use the same key for her own label.
	expect(t, alice.do(t, "POST", res+"/labels", map[string]string{"key": "secret", "value": "alices"}), 201)
}
