package phone

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// twilioClient makes form-encoded REST calls with the account's basic auth.
type twilioClient struct {
	sid, token string
	http       *http.Client
	log        *slog.Logger
}

// twilioErrorBody is Twilio's REST error document.
type twilioErrorBody struct {
	Code   int `json:"code"`
	Status int `json:"status"`
}

// post sends form to endpoint and decodes a JSON answer into out. A Twilio
// error answer or a failed request is an *Error; the auth token never
// appears in errors or logs.
func (c *twilioClient) post(ctx context.Context, endpoint string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Key: KeyTwilioUnexpected, Err: fmt.Errorf("build twilio request: %w", err)}
	}
	req.SetBasicAuth(c.sid, c.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries no secret, but keep errors short
		}
		c.log.WarnContext(ctx, "twilio request failed", slog.String("endpoint", redactPath(endpoint)), slog.Any("error", err))
		return &Error{Key: KeyTwilioUnexpected, Err: fmt.Errorf("twilio request: %w", err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &Error{Key: KeyTwilioUnexpected, Status: resp.StatusCode, Err: fmt.Errorf("read twilio answer: %w", err)}
	}
	if resp.StatusCode >= 300 {
		var e twilioErrorBody
		_ = json.Unmarshal(body, &e)
		// Twilio's message text can quote the number or the body (and so
		// the code): only the status and the error code are kept.
		c.log.WarnContext(ctx, "twilio error", slog.String("endpoint", redactPath(endpoint)),
			slog.Int("status", resp.StatusCode), slog.Int("code", e.Code))
		return twilioError(e.Code, resp.StatusCode, fmt.Errorf("twilio answered %d, error %d", resp.StatusCode, e.Code))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return &Error{Key: KeyTwilioUnexpected, Status: resp.StatusCode, Err: fmt.Errorf("decode twilio answer: %w", err)}
		}
	}
	return nil
}

// redactPath keeps the host and the last path element of a Twilio URL for
// logs (the account and service SIDs are not secret, but need not be logged).
func redactPath(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "twilio"
	}
	return u.Host + "/…/" + u.Path[strings.LastIndexByte(u.Path, '/')+1:]
}

// TwilioSMS sends the code as an SMS built from a template and checks it
// against the stored code (BARONG_PHONE_VERIFICATION=twilio_sms).
type TwilioSMS struct {
	c        *twilioClient
	base     string
	from     string
	template string
}

// Send posts the SMS to +number; the channel is ignored, as in Barong.
func (t *TwilioSMS) Send(ctx context.Context, number, _, code string) error {
	form := url.Values{"To": {"+" + number}, "From": {t.from}, "Body": {strings.ReplaceAll(t.template, "{{code}}", code)}}
	return t.c.post(ctx, t.base+"/2010-04-01/Accounts/"+url.PathEscape(t.c.sid)+"/Messages.json", form, nil)
}

// Verify compares code with the stored code in constant time.
func (t *TwilioSMS) Verify(_ context.Context, _, code, storedCode string) (bool, error) {
	if storedCode == "" || code == "" {
		return false, nil
	}
	return subtle.ConstantTimeCompare([]byte(code), []byte(storedCode)) == 1, nil
}

// TwilioVerify uses the Twilio Verify API v2, which makes, sends and checks
// its own codes (BARONG_PHONE_VERIFICATION=twilio_verify).
type TwilioVerify struct {
	c       *twilioClient
	base    string
	appName string

	mu         sync.Mutex
	serviceSID string
}

// service returns the Verify service SID, creating a service named after
// the application on first use when none is configured.
func (t *TwilioVerify) service(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.serviceSID != "" {
		return t.serviceSID, nil
	}
	name := t.appName
	if name == "" {
		name = "Barong"
	}
	var out struct {
		SID string `json:"sid"`
	}
	if err := t.c.post(ctx, t.base+"/v2/Services", url.Values{"FriendlyName": {name}}, &out); err != nil {
		return "", err
	}
	if out.SID == "" {
		return "", &Error{Key: KeyTwilioUnexpected, Err: errors.New("twilio created a verify service without a sid")}
	}
	t.serviceSID = out.SID
	return out.SID, nil
}

// Send starts a verification of +number over channel.
func (t *TwilioVerify) Send(ctx context.Context, number, channel, _ string) error {
	sid, err := t.service(ctx)
	if err != nil {
		return err
	}
	form := url.Values{"To": {"+" + number}, "Channel": {channel}}
	return t.c.post(ctx, t.base+"/v2/Services/"+url.PathEscape(sid)+"/Verifications", form, nil)
}

// Verify checks code with Twilio: it is right when the check is
// "approved". A check without a pending verification (Twilio 20404:
// expired, already approved or never sent) is a wrong code, not an error.
func (t *TwilioVerify) Verify(ctx context.Context, number, code, _ string) (bool, error) {
	sid, err := t.service(ctx)
	if err != nil {
		return false, err
	}
	var out struct {
		Status string `json:"status"`
	}
	form := url.Values{"To": {"+" + number}, "Code": {code}}
	err = t.c.post(ctx, t.base+"/v2/Services/"+url.PathEscape(sid)+"/VerificationCheck", form, &out)
	var pe *Error
	if errors.As(err, &pe) && pe.Code == twilioNotFoundCode {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return out.Status == "approved", nil
}
