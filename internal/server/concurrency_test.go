package server_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/testenv"
)

// sendJSON is client.do for goroutines: it returns transport errors instead of
// failing the test from a goroutine that is not the test's.
func (c *client) sendJSON(method, path string, body any) (*response, error) {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.ts.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return c.sendReq(req)
}

// sendDocument uploads one file to /resource/documents.
func (c *client) sendDocument(fields map[string]string, name string, data []byte) (*response, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("upload[]", name)
	_, _ = fw.Write(data)
	_ = w.Close()
	req, err := http.NewRequest("POST", c.ts.URL+res+"/documents", &b)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.sendReq(req)
}

// sendReq is roundTrip returning the transport error.
func (c *client) sendReq(req *http.Request) (*response, error) {
	req.Header.Set("User-Agent", c.ua)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// TestConcurrentUsers runs, on every database, 50 users at once, each
// creating two profiles, a public label (then changing it), an API key, a
// phone and a document while an admin sets two private labels of theirs,
// all requests in parallel over HTTP, with the relay publishing to the real
// broker. No request fails with a 5xx (deadlocks and serialization failures
// are retried), each answer is the one the rules give, and the invariants
// hold: one open profile per user, state and level as the labels say, no
// document over the limit, and every event in the broker exactly once.
func TestConcurrentUsers(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			concurrentUsers(t, dialect, 50)
		})
	}
}

// concurrentUser is one user of the run and his clients' results.
type concurrentUser struct {
	c      *client
	u      *barong.User
	secret string
}

func concurrentUsers(t *testing.T, dialect string, n int) {
	env := map[string]string{"EVENT_API_RABBITMQ_URL": testenv.RabbitURL,
		"BARONG_STORAGE_LOCAL_DIR": filepath.Join(t.TempDir(), "uploads")}
	if dialect != "sqlite" {
		env["BARONG_DATABASE_URL"] = testenv.Database(t, dialect)
	}
	keys := map[string][]string{
		"model":  {"user.created", "user.updated", "label.created", "label.updated", "profile.created", "document.created"},
		"system": {"user.email.confirmation.token", "document.verified"},
	}
	d := consumer(t, keys)
	ts := newServer(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)

	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	root, _ := ts.signUp(t, "root"+tag+"@example.com")

	// Sign-ups in parallel too.
	users := make([]*concurrentUser, n)
	var wg sync.WaitGroup
	errs := make(chan string, 16*n)
	for i := range users {
		wg.Go(func() {
			c := ts.client()
			email := fmt.Sprintf("user%d-%s@example.com", i, tag)
			r, err := c.sendJSON("POST", "/api/v2/identity/users", map[string]string{"email": email, "password": strongPassword})
			if err != nil {
				errs <- fmt.Sprintf("sign-up %d: %v", i, err)
				return
			}
			if r.Status != 201 {
				errs <- fmt.Sprintf("sign-up %d: %d %s", i, r.Status, r.Body)
				return
			}
			var m map[string]any
			_ = json.Unmarshal(r.Body, &m)
			c.csrf, _ = m["csrf_token"].(string)
			users[i] = &concurrentUser{c: c}
		})
	}
	wg.Wait()
	failOn(t, errs)
	for i, cu := range users {
		cu.u = ts.activate(t, fmt.Sprintf("user%d-%s@example.com", i, tag))
		cu.secret = resAEnable2FA(t, ts, cu.u)
	}

	// Everything at once: 8 requests per user, n users.
	type result struct {
		user   int
		what   string
		status int
		keys   []string
	}
	results := make(chan result, 16*n)
	do := func(i int, what string, f func() (*response, error)) {
		wg.Go(func() {
			r, err := f()
			if err != nil {
				errs <- fmt.Sprintf("user %d %s: %v", i, what, err)
				return
			}
			results <- result{i, what, r.Status, r.errors()}
		})
	}
	for i, cu := range users {
		c, uid := cu.c, cu.u.UID
		for k := range 2 {
			do(i, fmt.Sprintf("profile%d", k), func() (*response, error) { return c.sendJSON("POST", res+"/profiles", resAProfileBody()) })
		}
		do(i, "label", func() (*response, error) {
			r, err := c.sendJSON("POST", res+"/labels", map[string]string{"key": "tag", "value": "first"})
			if err != nil || r.Status != 201 {
				return r, err
			}
			return c.sendJSON("PATCH", res+"/labels/tag", map[string]string{"value": "second"})
		})
		code := resATOTP(t, cu.secret)
		do(i, "api_key", func() (*response, error) {
			return c.sendJSON("POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": code})
		})
		do(i, "phone", func() (*response, error) {
			return c.sendJSON("POST", res+"/phones", map[string]string{"phone_number": fmt.Sprintf("+38050123%04d", i)})
		})
		do(i, "document", func() (*response, error) {
			return c.sendDocument(map[string]string{"doc_type": "Passport", "doc_number": fmt.Sprintf("AB%06d", i),
				"doc_expire": docFuture()}, "front.png", docPNG("front.png").data)
		})
		for _, kv := range [][2]string{{"document", "verified"}, {"phone", "verified"}} {
			do(i, "admin_"+kv[0], func() (*response, error) {
				return root.sendJSON("POST", adm+"/users/labels/update",
					map[string]string{"uid": uid, "key": kv[0], "value": kv[1], "scope": "private"})
			})
		}
	}
	wg.Wait()
	close(results)
	failOn(t, errs)

	want := map[string]int{"label": 200, "api_key": 201, "phone": 200, "document": 201, "admin_document": 200, "admin_phone": 200}
	profiles := make([]int, n)
	for r := range results {
		if r.status >= 500 {
			t.Errorf("user %d %s: %d %v", r.user, r.what, r.status, r.keys)
			continue
		}
		if strings.HasPrefix(r.what, "profile") {
			switch {
			case r.status == 201:
				profiles[r.user]++
			case r.status == 409 && strings.Join(r.keys, ",") == "state.exists":
			default:
				t.Errorf("user %d %s: %d %v", r.user, r.what, r.status, r.keys)
			}
			continue
		}
		if r.status != want[r.what] {
			t.Errorf("user %d %s: %d %v, want %d", r.user, r.what, r.status, r.keys, want[r.what])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Invariants in the database.
	levels, err := ts.DB.Levels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rules := barong.LabelRules{PrivateTriggersOnly: true}
	for _, kv := range ts.Config.App.ActivationRequirements {
		rules.ActivationRequirements = append(rules.ActivationRequirements, barong.KeyValue{Key: kv.Key, Value: kv.Value})
	}
	for _, tr := range ts.Config.App.StateTriggers {
		rules.StateTriggers = append(rules.StateTriggers, barong.StateTrigger{State: tr.State, Keys: tr.Keys})
	}
	uids := map[string]int{}
	for i, cu := range users {
		uids[cu.u.UID] = i
		if profiles[i] != 1 {
			t.Errorf("user %d: %d profiles created, want 1", i, profiles[i])
		}
		ps, err := ts.DB.ProfilesByUser(ctx, cu.u.ID)
		if err != nil || len(ps) != 1 {
			t.Errorf("user %d: %d profiles stored (%v), want 1", i, len(ps), err)
		}
		u, err := ts.DB.UserByID(ctx, cu.u.ID)
		if err != nil {
			t.Fatal(err)
		}
		labels, err := ts.DB.LabelsByUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st, lv := rules.ComputeState(labels), barong.ComputeLevel(labels, levels); u.State != st || u.Level != lv {
			t.Errorf("user %d: state %s level %d, labels %v say %s %d", i, u.State, u.Level, labels, st, lv)
		}
		if ds := docRows(t, ts, u.ID); len(ds) != 1 {
			t.Errorf("user %d: %d documents", i, len(ds))
		}
	}

	// Every event of these users in the broker exactly once: the counts
	// of the events each user's requests cause once, and no two equal
	// events at all (a transaction run twice would emit its events twice).
	pub := ts.Keys.Signing().Public().(*rsa.PublicKey)
	type key struct{ name, uid, label string }
	got := map[key]int{}
	bodies := map[string]bool{}
	exactly := map[key]int{}
	for _, cu := range users {
		for _, k := range []key{{"model.user.created", cu.u.UID, ""}, {"system.user.email.confirmation.token", cu.u.UID, ""},
			{"model.profile.created", cu.u.UID, ""}, {"model.document.created", cu.u.UID, ""},
			{"model.label.created", cu.u.UID, "tag"}, {"model.label.updated", cu.u.UID, "tag"},
			{"model.label.created", cu.u.UID, "profile"}, {"model.label.created", cu.u.UID, "phone"},
			{"model.label.created", cu.u.UID, "document"}, {"system.document.verified", cu.u.UID, ""}} {
			exactly[k] = 1
		}
	}
	complete := func() bool {
		for k, n := range exactly {
			if got[k] < n {
				return false
			}
		}
		return true
	}
	deadline := time.After(90 * time.Second)
	var quiet <-chan time.Time
	for quiet == nil || !complete() {
		select {
		case m := <-d:
			e, err := decodeBarong27(m, pub)
			if err != nil {
				continue // another server's
			}
			uid := e.Claims.Event.Record.User.UID
			if uid == "" {
				uid = e.Claims.Event.Record.UID
			}
			if _, ok := uids[uid]; !ok {
				continue
			}
			if bodies[string(e.Raw)] {
				t.Errorf("event delivered twice: %s", e.Raw)
			}
			bodies[string(e.Raw)] = true
			k := key{e.Claims.Event.Name, uid, ""}
			if strings.HasPrefix(k.name, "model.label.") {
				k.label = e.Claims.Event.Record.Key
			}
			got[k]++
			if complete() && quiet == nil {
				quiet = time.After(2 * time.Second) // then wait for strays
			}
		case <-quiet:
			quiet = nil
			if complete() {
				goto done
			}
		case <-deadline:
			t.Fatalf("events missing after 90 s")
		}
	}
done:
	for k, n := range exactly {
		if got[k] != n {
			t.Errorf("%s of %s (%s): %d events, want %d", k.name, k.uid, k.label, got[k], n)
		}
	}
}

// failOn fails the test with the messages sent on errs.
func failOn(t *testing.T, errs chan string) {
	t.Helper()
	for {
		select {
		case e := <-errs:
			t.Error(e)
		default:
			if t.Failed() {
				t.FailNow()
			}
			return
		}
	}
}
