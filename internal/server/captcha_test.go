package server_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecaptchaProtectedEndpoints(t *testing.T) {
	google := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ok := r.Form.Get("secret") == "s3cret" && r.Form.Get("response") == "good"
		fmt.Fprintf(w, `{"success":%v}`, ok)
	}))
	defer google.Close()
	ts := newServer(t, map[string]string{"BARONG_CAPTCHA": "recaptcha", "BARONG_RECAPTCHA_SITE_KEY": "site",
		"BARONG_RECAPTCHA_SECRET_KEY": "s3cret", "BARONG_RECAPTCHA_VERIFY_URL": google.URL})
	c := ts.client()
	body := func(resp any) map[string]any {
		m := map[string]any{"email": "a@example.com", "password": strongPassword}
		if resp != nil {
			m["captcha_response"] = resp
		}
		return m
	}
	for _, path := range []string{id + "/users", id + "/sessions", id + "/users/password/generate_code", id + "/users/email/generate_code"} {
		t.Run(path, func(t *testing.T) {
			expect(t, c.do(t, "POST", path, body(nil)), 400, "identity.captcha.required")
			expect(t, c.do(t, "POST", path, body("bad")), 422, "identity.captcha.verification_failed")
		})
	}
	expect(t, c.do(t, "POST", id+"/users", body("good")), 201)
	expect(t, c.do(t, "POST", id+"/sessions", body("good")), 201)
	cf := c.do(t, "GET", id+"/configs", nil).json(t)
	if cf["captcha_type"] != "recaptcha" || cf["captcha_id"] != "site" {
		t.Fatalf("configs %v", cf)
	}
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestGeetestProtectedEndpoints(t *testing.T) {
	geetest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/register.php":
			fmt.Fprint(w, "0123456789abcdef0123456789abcdef")
		case "/validate.php":
			_ = r.ParseForm()
			fmt.Fprint(w, md5hex(r.Form.Get("seccode")))
		}
	}))
	defer geetest.Close()
	ts := newServer(t, map[string]string{"BARONG_CAPTCHA": "geetest", "BARONG_GEETEST_ID": "gid",
		"BARONG_GEETEST_KEY": "gkey", "BARONG_GEETEST_API_URL": geetest.URL})
	c := ts.client()
	reg := c.do(t, "GET", id+"/users/register_geetest", nil)
	expect(t, reg, 200)
	m := reg.json(t)
	if m["gt"] != "gid" || m["challenge"] != md5hex("0123456789abcdef0123456789abcdef"+"gkey") {
		t.Fatalf("register %v", m)
	}
	challenge := "chal"
	good := map[string]any{"geetest_challenge": challenge, "geetest_validate": md5hex("gkey" + "geetest" + challenge), "geetest_seccode": "sec"}
	bad := map[string]any{"geetest_challenge": challenge, "geetest_validate": "nope", "geetest_seccode": "sec"}
	body := func(resp any) map[string]any {
		return map[string]any{"email": "a@example.com", "password": strongPassword, "captcha_response": resp}
	}
	expect(t, c.do(t, "POST", id+"/users", body(map[string]any{"geetest_challenge": "x"})), 400, "identity.captcha.mandatory_fields")
	expect(t, c.do(t, "POST", id+"/users", body(bad)), 422, "identity.captcha.verification_failed")
	expect(t, c.do(t, "POST", id+"/users", body(good)), 201)
}
