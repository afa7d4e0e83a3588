package server_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
	amqp091 "github.com/rabbitmq/amqp091-go"
)

// The system events of reference §9.4, by routing key, with the members
// of their record in Barong 2.7's order.
var systemRecordKeys = map[string]string{
	"user.email.confirmation.token": "user,domain,token",
	"user.email.confirmed":          "user,domain",
	"user.password.reset.token":     "user,domain,token",
	"user.password.reset":           "user,domain",
	"user.password.change":          "user,domain",
	"user.account.deleted":          "user",
	"session.create":                "user,user_ip,user_agent",
	"document.verified":             "id,key,value,description,user",
	"document.rejected":             "id,key,value,description,user",
}

// The model events the same flow emits (reference §9.3): record members
// (nulls dropped at the record's top level) and whether "changes" follows.
var modelRecordKeys = map[string]string{
	"user.created":  "uid,email,role,level,otp,state,created_at,updated_at",
	"user.updated":  "uid,email,role,level,otp,state,created_at,updated_at",
	"label.created": "id,key,value,user",
	"label.updated": "id,key,value,user",
}

// userObjectKeys is the user object nested in every event but model.user.*
// ones, nulls kept (reference §9.2).
const userObjectKeys = "uid,username,email,role,level,otp,state,referral_uid,created_at,updated_at"

// barong27Event is an Event API message as a consumer written for Barong
// 2.7 reads it (the Barong mailer, applogic): the JWS in general
// serialization, verified by hand with the RSA public key under kid
// "barong", and the claims' event with its record.
type barong27Event struct {
	RoutingKey string
	Exchange   string
	Raw        json.RawMessage // the "event" claim
	Claims     struct {
		Iss   string `json:"iss"`
		JTI   string `json:"jti"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
		Event struct {
			Name   string `json:"name"`
			Record struct {
				User struct {
					UID   string `json:"uid"`
					Email string `json:"email"`
				} `json:"user"`
				UID    string `json:"uid"`   // model.user.*: the record is the user
				Email  string `json:"email"` // model.user.*
				Domain string `json:"domain"`
				Token  string `json:"token"`
				UserIP string `json:"user_ip"`
				Key    string `json:"key"`
				Value  string `json:"value"`
			} `json:"record"`
		} `json:"event"`
	}
}

// email is the e-mail of the user the event concerns.
func (e *barong27Event) email() string {
	if r := e.Claims.Event.Record; r.User.Email != "" {
		return r.User.Email
	}
	return e.Claims.Event.Record.Email
}

// decodeBarong27 verifies and decodes a message as a Barong 2.7 consumer
// does; it fails for messages signed with another key (other servers
// publish to the same shared broker).
func decodeBarong27(m amqp091.Delivery, pub *rsa.PublicKey) (*barong27Event, error) {
	var jws struct {
		Payload    string `json:"payload"`
		Signatures []struct {
			Protected string            `json:"protected"`
			Header    map[string]string `json:"header"`
			Signature string            `json:"signature"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(m.Body, &jws); err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header["kid"] != "barong" {
		return nil, fmt.Errorf("signatures %v", jws.Signatures)
	}
	s := jws.Signatures[0]
	if prot, _ := base64.RawURLEncoding.DecodeString(s.Protected); string(prot) != `{"alg":"RS256"}` {
		return nil, fmt.Errorf("protected header %s", prot)
	}
	sig, err := base64.RawURLEncoding.DecodeString(s.Signature)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(s.Protected + "." + jws.Payload))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, err
	}
	payload, err := base64.RawURLEncoding.DecodeString(jws.Payload)
	if err != nil {
		return nil, err
	}
	e := &barong27Event{RoutingKey: m.RoutingKey, Exchange: m.Exchange}
	if err := json.Unmarshal(payload, &e.Claims); err != nil {
		return nil, err
	}
	var raw struct{ Event json.RawMessage }
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, err
	}
	e.Raw = raw.Event
	return e, nil
}

// eventStream reads the events of this test's users from the broker.
type eventStream struct {
	d    <-chan amqp091.Delivery
	pub  *rsa.PublicKey
	mine func(email string) bool
}

// next returns the next event of one of the test's users, skipping other
// servers' messages, or fails after timeout.
func (s *eventStream) next(t *testing.T, timeout time.Duration) *barong27Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-s.d:
			e, err := decodeBarong27(m, s.pub)
			if err != nil || !s.mine(e.email()) {
				continue
			}
			return e
		case <-deadline:
			t.Fatalf("no event within %v", timeout)
			return nil
		}
	}
}

// expectEvents reads the next events and checks their names in order.
func (s *eventStream) expectEvents(t *testing.T, names ...string) []*barong27Event {
	t.Helper()
	out := make([]*barong27Event, 0, len(names))
	for _, want := range names {
		e := s.next(t, 15*time.Second)
		if e.Claims.Event.Name != want {
			t.Fatalf("event %s (%s), want %s", e.Claims.Event.Name, e.Raw, want)
		}
		out = append(out, e)
	}
	return out
}

// checkShape checks an event against reference §9.2-§9.4: claims, routing,
// the event's members, the record's members and the nested user object.
func checkShape(t *testing.T, e *barong27Event) {
	t.Helper()
	c := e.Claims
	if c.Iss != "barong" || c.JTI == "" || c.Exp-c.Iat != 3600 {
		t.Fatalf("%s: claims iss=%q jti=%q iat=%d exp=%d", c.Event.Name, c.Iss, c.JTI, c.Iat, c.Exp)
	}
	cat, key, _ := strings.Cut(c.Event.Name, ".")
	if e.Exchange != "barong.events."+cat || e.RoutingKey != key {
		t.Fatalf("%s published to %s/%s", c.Event.Name, e.Exchange, e.RoutingKey)
	}
	rec := resARaw(t, e.Raw, "record")
	if cat == "system" {
		resAWantKeys(t, e.Raw, "record,name")
		resAWantKeys(t, rec, systemRecordKeys[key])
	} else {
		members := "record,name"
		if strings.HasSuffix(key, ".updated") {
			members = "record,changes,name"
		}
		resAWantKeys(t, e.Raw, members)
		resAWantKeys(t, rec, modelRecordKeys[key])
	}
	if strings.HasPrefix(key, "user.") && cat == "model" {
		return
	}
	user := resARaw(t, rec, "user")
	resAWantKeys(t, user, userObjectKeys)
	// The nested user keeps its nulls (no username, no referrer here).
	var u map[string]any
	if err := json.Unmarshal(user, &u); err != nil {
		t.Fatal(err)
	}
	if v, ok := u["username"]; !ok || v != nil {
		t.Fatalf("%s: user.username %v (present %v), want null", c.Event.Name, v, ok)
	}
	if v, ok := u["referral_uid"]; !ok || v != nil {
		t.Fatalf("%s: user.referral_uid %v, want null", c.Event.Name, v)
	}
	if strings.HasPrefix(key, "document.") {
		if !strings.Contains(string(rec), `"description":null`) {
			t.Fatalf("%s: record %s lacks description null", c.Event.Name, rec)
		}
	}
}

// TestSystemEventsBarong27Shape drives every system event through the API
// and reads it from the real broker as a Barong 2.7 consumer: each has
// {"record":{...},"name":...} with the record of reference §9.4, and a
// consumer that acts on record.user.uid and record.token (confirming the
// e-mail, resetting the password, as the Barong mailer's links do) works
// unchanged. The model events of the same flow are checked against §9.3.
func TestSystemEventsBarong27Shape(t *testing.T) {
	keys := map[string][]string{"system": {}, "model": {}}
	for k := range systemRecordKeys {
		keys["system"] = append(keys["system"], k)
	}
	for k := range modelRecordKeys {
		keys["model"] = append(keys["model"], k)
	}
	d := consumer(t, keys)
	ts := newServer(t, map[string]string{"EVENT_API_RABBITMQ_URL": testenv.RabbitURL})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)

	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	rootEmail, email := "root"+tag+"@example.com", "member"+tag+"@example.com"
	s := &eventStream{d: d, pub: ts.Keys.Signing().Public().(*rsa.PublicKey),
		mine: func(e string) bool { return e == rootEmail || e == email }}
	seen := map[string]bool{}
	check := func(evs []*barong27Event) []*barong27Event {
		t.Helper()
		for _, e := range evs {
			checkShape(t, e)
			seen[e.Claims.Event.Name] = true
		}
		return evs
	}

	root, _ := ts.signUp(t, rootEmail) // the first account: superadmin, no confirmation
	check(s.expectEvents(t, "model.user.created", "model.user.updated", "model.label.created", "model.user.updated"))

	member, info := ts.signUp(t, email)
	uid := info["uid"].(string)
	evs := check(s.expectEvents(t, "model.user.created", "system.user.email.confirmation.token"))
	if got := evs[1].Claims.Event.Record.User.UID; got != uid {
		t.Fatalf("record.user.uid %s, want %s", got, uid)
	}
	expect(t, member.do(t, "POST", "/api/v2/identity/users/email/generate_code", map[string]string{"email": email}), 201)
	conf := check(s.expectEvents(t, "system.user.email.confirmation.token"))[0].Claims.Event.Record

	// The consumer follows record.token as the mailer's confirmation link.
	if conf.User.UID != uid || conf.Domain != "openware.com" || conf.Token == "" {
		t.Fatalf("confirmation record %+v", conf)
	}
	expect(t, ts.client().do(t, "POST", "/api/v2/identity/users/email/confirm_code", map[string]string{"token": conf.Token}), 201)
	check(s.expectEvents(t, "model.label.created", "model.user.updated", "model.user.updated", "system.user.email.confirmed"))

	c := ts.client()
	expect(t, c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": strongPassword}), 201)
	login := check(s.expectEvents(t, "system.session.create"))[0]
	if login.Claims.Event.Record.UserIP != "127.0.0.1" || login.Claims.Event.Record.User.UID != uid {
		t.Fatalf("session.create %s", login.Raw)
	}

	expect(t, c.do(t, "POST", "/api/v2/identity/users/password/generate_code", map[string]string{"email": email}), 201)
	reset := check(s.expectEvents(t, "system.user.password.reset.token"))[0].Claims.Event.Record
	newPW := strongPassword + "-2"
	expect(t, ts.client().do(t, "POST", "/api/v2/identity/users/password/confirm_code", map[string]string{
		"reset_password_token": reset.Token, "password": newPW, "confirm_password": newPW}), 201)
	check(s.expectEvents(t, "model.user.updated", "system.user.password.reset"))

	c = ts.client()
	r := c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": newPW})
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	check(s.expectEvents(t, "system.session.create"))
	expect(t, c.do(t, "PUT", "/api/v2/resource/users/password", map[string]string{
		"old_password": newPW, "new_password": strongPassword, "confirm_password": strongPassword}), 201)
	check(s.expectEvents(t, "model.user.updated", "system.user.password.change"))

	label := map[string]string{"uid": uid, "key": "document", "value": "verified", "scope": "private"}
	expect(t, root.do(t, "POST", adm+"/users/labels", label), 200)
	evs = check(s.expectEvents(t, "model.label.created", "system.document.verified"))
	if r := evs[1].Claims.Event.Record; r.Key != "document" || r.Value != "verified" || r.User.UID != uid {
		t.Fatalf("document.verified %s", evs[1].Raw)
	}
	label["value"] = "rejected"
	expect(t, root.do(t, "POST", adm+"/users/labels/update", label), 200)
	check(s.expectEvents(t, "model.label.updated", "system.document.rejected"))

	c = ts.client()
	r = c.do(t, "POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": strongPassword})
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	check(s.expectEvents(t, "system.session.create"))
	expect(t, c.do(t, "DELETE", "/api/v2/resource/users/me?"+url.Values{"password": {strongPassword}}.Encode(), nil), 204)
	evs = check(s.expectEvents(t, "model.label.created", "model.user.updated", "system.user.account.deleted"))
	if got := evs[2].Claims.Event.Record.User; got.UID != uid {
		t.Fatalf("account.deleted user %+v", got)
	}
	if !strings.Contains(string(evs[2].Raw), `"state":"deleted"`) {
		t.Fatalf("account.deleted %s", evs[2].Raw)
	}

	for k := range systemRecordKeys {
		if !seen["system."+k] {
			t.Errorf("system.%s was not exercised", k)
		}
	}
}
