package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resAStorageEnv is a barong.yml with Barong's state triggers and user
// storage titles.
func resAStorageEnv(t *testing.T) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "barong.yml")
	yml := "state_triggers: {banned: [ban, fraud], deleted: [delete], locked: [suspicious, lock]}\n" +
		"user_storage_titles: [personal, profile, Phone, \"my notes\", email]\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"BARONG_CONFIG": path}
}

func TestResourceDataStorage(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, resAStorageEnv(t), "member@example.com")
	ctx := context.Background()
	ts.activate(t, "member@example.com")

	r := c.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": `{"job":"pilot"}`})
	expect(t, r, 201)
	if string(r.Body) != "201" {
		t.Fatalf("body %s", r.Body)
	}
	ds, _ := ts.DB.DataStoragesByUser(ctx, u.ID)
	if len(ds) != 1 || ds[0].Title != "personal" || ds[0].Data != `{"job":"pilot"}` {
		t.Fatalf("stored %+v", ds)
	}
	if l, err := ts.DB.LabelByKey(ctx, u.ID, "personal", "private"); err != nil || l.Value != "recorded" {
		t.Fatalf("label %+v %v", l, err)
	}
	evs := ts.events(t)
	resAWantEvents(t, evs, "model.data_storage.created", "model.label.created")
	rec := resARaw(t, evs[0].Raw, "record")
	resAWantKeys(t, rec, "user,title,data,created_at,updated_at")
	if r := evs[0].Body["record"].(map[string]any); r["title"] != "personal" || r["data"] != `{"job":"pilot"}` || r["user"].(map[string]any)["uid"] != u.UID {
		t.Fatalf("event %s", evs[0].Raw)
	}
	if got := resAUser(t, ts, u.ID); got.State != "active" || got.Level != 1 {
		t.Fatalf("user %+v", got)
	}
	me := c.do(t, "GET", res+"/users/me", nil)
	if !strings.Contains(string(me.Body), `"data_storages":[{"title":"personal","data":"{\"job\":\"pilot\"}","created_at":`) {
		t.Fatalf("me %s", me.Body)
	}

	// A title that is no valid label key is stored without a label.
	expect(t, c.do(t, "POST", "/api/v2/resource/data_storage", map[string]string{"title": "my notes", "data": `[1,2]`}), 201)
	resAWantEvents(t, ts.events(t), "model.data_storage.created")
	// A private label of that key already there is left alone.
	expect(t, c.do(t, "POST", res+"/data_storage", map[string]string{"title": "email", "data": `{}`}), 201)
	resAWantEvents(t, ts.events(t), "model.data_storage.created")
	if l, _ := ts.DB.LabelByKey(ctx, u.ID, "email", "private"); l.Value != "verified" {
		t.Fatalf("email label %+v", l)
	}

	long := `"` + strings.Repeat("x", 5120) + `"`
	for _, tc := range []struct {
		body   any
		status int
		keys   []string
	}{
		{map[string]any{}, 400, []string{"resource.datastorage.missing_title", "resource.datastorage.empty_title",
			"resource.datastorage.missing_data", "resource.datastorage.empty_data"}},
		{map[string]any{"title": " ", "data": "{}"}, 400, []string{"resource.datastorage.empty_title"}},
		{map[string]any{"title": "personal", "data": ""}, 400, []string{"resource.datastorage.empty_data"}},
		{map[string]any{"title": "other", "data": "{}"}, 422, []string{"title.inclusion"}},
		{map[string]any{"title": "personal", "data": "{}"}, 422, []string{"title.taken"}},
		{map[string]any{"title": "PERSONAL", "data": "{}"}, 422, []string{"title.inclusion", "title.taken"}},
		{map[string]any{"title": "profile", "data": "{}"}, 422, []string{"title.exclusion"}},
		{map[string]any{"title": "Phone", "data": "{}"}, 422, []string{"title.exclusion"}},
		{map[string]any{"title": "document", "data": "{}"}, 422, []string{"title.inclusion", "title.exclusion"}},
		{map[string]any{"title": "other", "data": "nope"}, 422, []string{"title.inclusion", "data.invalid_format"}},
		{map[string]any{"title": "other", "data": long}, 422, []string{"title.inclusion", "data.too_long"}},
		{map[string]any{"title": strings.Repeat("t", 65), "data": "{}"}, 422, []string{"title.too_long", "title.inclusion"}},
		{map[string]any{"title": map[string]any{}, "data": "{}"}, 422, []string{"resource.datastorage.non_string_title"}},
		{"{", 400, []string{"request.invalid_body"}},
	} {
		expect(t, c.do(t, "POST", res+"/data_storage", tc.body), tc.status, tc.keys...)
	}
	if ds, _ := ts.DB.DataStoragesByUser(ctx, u.ID); len(ds) != 3 {
		t.Fatalf("storages %+v", ds)
	}
	resAWantEvents(t, ts.events(t))

	// Titles are per user.
	other, _ := ts.signUp(t, "other@example.com")
	expect(t, other.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": "{}"}), 201)
}

// TestResourceDataStorageNoTitles: with Barong's default barong.yml no
// title is accepted.
func TestResourceDataStorageNoTitles(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	expect(t, c.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": "{}"}), 422, "title.inclusion")
	if ds, _ := ts.DB.DataStoragesByUser(context.Background(), u.ID); len(ds) != 0 {
		t.Fatalf("storages %+v", ds)
	}
}
