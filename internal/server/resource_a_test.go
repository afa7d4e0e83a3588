package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Helpers of the resource users, labels, profiles and data storage tests
// (prefix resA), and their run on PostgreSQL and MariaDB.

var resAMounts = []string{"/api/v2/auth/resource", "/api/v2/resource"}

// resAMember starts a server (env on top of the defaults), signs up a
// throwaway superadmin and then email, a pending member, and returns the
// member's client and row; the outbox is drained.
func resAMember(t *testing.T, env map[string]string, email string) (*testServer, *client, *barong.User) {
	t.Helper()
	ts := newServer(t, env)
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, email)
	u, err := ts.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	ts.events(t)
	return ts, c, u
}

// resAKeys returns the member names of the JSON object raw in order.
func resAKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func resAWantKeys(t *testing.T, raw []byte, want string) {
	t.Helper()
	if got := strings.Join(resAKeys(t, raw), ","); got != want {
		t.Fatalf("fields %s, want %s", got, want)
	}
}

func resAWantEvents(t *testing.T, evs []event, want ...string) {
	t.Helper()
	if got := strings.Join(names(evs), ","); got != strings.Join(want, ",") {
		t.Fatalf("events %s, want %s", got, strings.Join(want, ","))
	}
}

func resAUser(t *testing.T, ts *testServer, id int64) *barong.User {
	t.Helper()
	u, err := ts.DB.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func resAActivities(t *testing.T, ts *testServer, userID int64, topic string) []barong.Activity {
	t.Helper()
	acts, _, err := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: userID, Topic: topic, Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

func resAEnable2FA(t *testing.T, ts *testServer, u *barong.User) string {
	t.Helper()
	ctx := context.Background()
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := ts.DB.SetTOTPSecret(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	cur := resAUser(t, ts, u.ID)
	cur.OTP = true
	if err := ts.DB.UpdateUser(ctx, cur); err != nil {
		t.Fatal(err)
	}
	return secret
}

func resATOTP(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// resABearer returns the gateway's bearer JWT for c's session.
func resABearer(t *testing.T, c *client) string {
	t.Helper()
	r := c.do(t, "GET", "/api/v2/auth/api/v2/barong/resource/users/me", nil)
	expect(t, r, 200)
	b := r.Header.Get("Authorization")
	if !strings.HasPrefix(b, "Bearer ") {
		t.Fatalf("no bearer: %v", r.Header)
	}
	return b
}

// resABearerPut sends PUT path with a JSON body and a bearer JWT, with the
// cookies of c (a gateway passes them on) when c is not nil.
func resABearerPut(t *testing.T, ts *testServer, c *client, bearer, path string, body any) *response {
	t.Helper()
	req, err := http.NewRequest("PUT", ts.URL+path, strings.NewReader(string(resAJSON(t, body))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearer)
	hc := http.DefaultClient
	if c != nil {
		hc = c.Client
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func resAJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResourceAOnEachDatabase runs a representative flow of the users,
// labels, profiles and data storage endpoints on PostgreSQL and MariaDB
// (the other resource tests use SQLite).
func TestResourceAOnEachDatabase(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := resAStorageEnv(t)
			env["BARONG_DATABASE_URL"] = testenv.Database(t, dialect)
			ts, c, u := resAMember(t, env, "member@example.com")
			ctx := context.Background()

			expect(t, c.do(t, "PUT", res+"/users/me", map[string]string{"data": `{"language":"uk"}`}), 200)
			expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "Hobby", "value": "chess"}), 201)
			expect(t, c.do(t, "POST", res+"/labels", map[string]string{"key": "hobby", "value": "golf"}), 422, "key.taken")
			expect(t, c.do(t, "PATCH", res+"/labels/hobby", map[string]string{"value": "golf"}), 200)
			expect(t, c.do(t, "DELETE", res+"/labels/hobby", nil), 204)

			r := c.do(t, "POST", res+"/profiles", resAProfileBody())
			expect(t, r, 201)
			if m := r.json(t); m["last_name"] != "D**" || m["dob"] != "1990-01-**" {
				t.Fatalf("profile %s", r.Body)
			}
			expect(t, c.do(t, "POST", res+"/profiles", map[string]any{}), 409, "state.exists")
			expect(t, c.do(t, "PUT", res+"/profiles", map[string]any{"confirm": true}), 200)
			ps, err := ts.DB.ProfilesByUser(ctx, u.ID)
			if err != nil || len(ps) != 1 || ps[0].State != "submitted" || ps[0].LastName != "Doe" || ps[0].DOB != "1990-01-15" {
				t.Fatalf("profiles %+v %v", ps, err)
			}

			expect(t, c.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": `{"a":1}`}), 201)
			expect(t, c.do(t, "POST", res+"/data_storage", map[string]string{"title": "personal", "data": `{}`}), 422, "title.taken")

			newPW := "N3w-Secret-Phrase!"
			expect(t, c.do(t, "PUT", res+"/users/password", map[string]string{"old_password": strongPassword, "new_password": newPW, "confirm_password": newPW}), 201)
			r = c.do(t, "GET", res+"/users/activity/password", nil)
			expect(t, r, 200)
			if r.Header.Get("Total") != "1" {
				t.Fatalf("activities %v %s", r.Header, r.Body)
			}
			evs := ts.events(t)
			resAWantEvents(t, evs, "model.user.updated", "model.label.created", "model.label.updated",
				"model.profile.created", "model.label.created", "model.profile.updated", "model.label.updated",
				"model.data_storage.created", "model.label.created", "model.user.updated", "system.user.password.change")

			expect(t, c.do(t, "DELETE", res+"/users/me?"+url.Values{"password": {newPW}}.Encode(), nil), 204)
			if got := resAUser(t, ts, u.ID); got.State != "deleted" {
				t.Fatalf("state %s", got.State)
			}
			resAWantEvents(t, ts.events(t), "model.label.created", "model.user.updated", "system.user.account.deleted")
		})
	}
}
