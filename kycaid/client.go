// Package kycaid is a small client of the KYCAID API (reference §10.7):
// applicants, files, documents, addresses and verifications. Every call
// takes a context, is bounded by the http.Client's timeout, and sends the
// authorization token in the Authorization header only (it is never part
// of an error or a log line).
package kycaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Client calls one KYCAID endpoint with one token.
type Client struct {
	base    *url.URL
	token   string
	sandbox bool
	http    *http.Client
}

// DefaultTimeout bounds each call when New is given no http.Client.
const DefaultTimeout = 30 * time.Second

// New builds a client of endpoint (BARONG_KYCAID_API_ENDPOINT) with token
// (BARONG_KYCAID_AUTHORIZATION_TOKEN); hc nil uses DefaultTimeout.
func New(endpoint, token string, sandbox bool, hc *http.Client) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kycaid: endpoint %q is not an http(s) URL", endpoint)
	}
	if token == "" {
		return nil, errors.New("kycaid: no authorization token")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{base: u, token: token, sandbox: sandbox, http: hc}, nil
}

// APIError is an answer of KYCAID other than 2xx.
type APIError struct {
	Method, Path string
	Status       int
	// Body is the start of the answer (KYCAID's error description).
	Body string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("kycaid: %s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// IsNotFound reports whether err is KYCAID's 404 (an unknown id).
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// IsRejected reports whether err is a 4xx answer of KYCAID other than
// 408 and 429: the request itself was refused, so retrying cannot help.
func IsRejected(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 &&
		ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests
}

// Applicant is POST /applicants.
type Applicant struct {
	Type             string `json:"type"`
	FirstName        string `json:"first_name"`
	LastName         string `json:"last_name"`
	DOB              string `json:"dob"`
	ResidenceCountry string `json:"residence_country"`
	Email            string `json:"email"`
	Phone            string `json:"phone"`
}

// Document is POST /documents.
type Document struct {
	ApplicantID    string `json:"applicant_id"`
	Type           string `json:"type"`
	DocumentNumber string `json:"document_number,omitempty"`
	ExpiryDate     string `json:"expiry_date,omitempty"`
	FrontSideID    string `json:"front_side_id,omitempty"`
	BackSideID     string `json:"back_side_id,omitempty"`
}

// Address is POST /addresses.
type Address struct {
	ApplicantID string `json:"applicant_id"`
	Type        string `json:"type"`
	Country     string `json:"country,omitempty"`
	City        string `json:"city,omitempty"`
	PostalCode  string `json:"postal_code,omitempty"`
	FullAddress string `json:"full_address,omitempty"`
}

// NewVerification is POST /verifications.
type NewVerification struct {
	ApplicantID string   `json:"applicant_id"`
	Types       []string `json:"types"`
	FormID      string   `json:"form_id,omitempty"`
	CallbackURL string   `json:"callback_url"`
}

// Check is the result of one type of a verification.
type Check struct {
	Verified bool   `json:"verified"`
	Comment  string `json:"comment"`
}

// Verification is GET /verifications/{id}.
type Verification struct {
	VerificationID string `json:"verification_id"`
	ApplicantID    string `json:"applicant_id"`
	Status         string `json:"status"`
	Verified       bool   `json:"verified"`
	// Verifications are the results by type (document, facial, address...).
	Verifications map[string]*Check `json:"verifications"`
}

// CreateApplicant creates a person and returns its applicant_id.
func (c *Client) CreateApplicant(ctx context.Context, a Applicant) (string, error) {
	return c.create(ctx, "applicants", "applicant_id", a)
}

// UploadFile sends one file (multipart field "file") and returns its
// file_id.
func (c *Client) UploadFile(ctx context.Context, filename, contentType string, r io.Reader) (string, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("kycaid: files: %w", err)
	}
	if _, err := io.Copy(part, r); err != nil {
		return "", fmt.Errorf("kycaid: files: read upload: %w", err)
	}
	if c.sandbox {
		if err := w.WriteField("sandbox", "true"); err != nil {
			return "", fmt.Errorf("kycaid: files: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("kycaid: files: %w", err)
	}
	var out struct {
		FileID string `json:"file_id"`
	}
	if err := c.do(ctx, http.MethodPost, "files", w.FormDataContentType(), &body, &out); err != nil {
		return "", err
	}
	return required("files", "file_id", out.FileID)
}

// CreateDocument creates a document of an applicant and returns its
// document_id.
func (c *Client) CreateDocument(ctx context.Context, d Document) (string, error) {
	return c.create(ctx, "documents", "document_id", d)
}

// CreateAddress creates an address of an applicant and returns its
// address_id.
func (c *Client) CreateAddress(ctx context.Context, a Address) (string, error) {
	return c.create(ctx, "addresses", "address_id", a)
}

// CreateVerification asks KYCAID to verify an applicant and returns the
// verification_id.
func (c *Client) CreateVerification(ctx context.Context, v NewVerification) (string, error) {
	return c.create(ctx, "verifications", "verification_id", v)
}

// Verification fetches a verification; an unknown id is an *APIError
// for which IsNotFound holds.
func (c *Client) Verification(ctx context.Context, id string) (*Verification, error) {
	if !validID(id) {
		return nil, &APIError{Method: http.MethodGet, Path: "verifications/", Status: http.StatusNotFound, Body: "invalid id"}
	}
	var out Verification
	if err := c.do(ctx, http.MethodGet, "verifications/"+id, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// validID accepts KYCAID's identifiers (UUID-like: letters, digits,
// dashes, at most 64 characters), so that a forged callback cannot steer
// the request elsewhere or make it large.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// create posts body to path and returns the field (an id) of the answer.
func (c *Client) create(ctx context.Context, path, field string, body any) (string, error) {
	var out map[string]any
	if err := c.postJSON(ctx, path, body, &out); err != nil {
		return "", err
	}
	id, _ := out[field].(string)
	return required(path, field, id)
}

func required(path, field, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("kycaid: %s: answer without %s", path, field)
	}
	return v, nil
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("kycaid: %s: encode: %w", path, err)
	}
	return c.do(ctx, http.MethodPost, path, "application/json", bytes.NewReader(b), out)
}

// do sends one request and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	u := c.base.ResolveReference(&url.URL{Path: path})
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("kycaid: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Token "+c.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error holds the URL, never the header.
		return fmt.Errorf("kycaid: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("kycaid: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := string(raw)
		if len(snippet) > 512 {
			snippet = snippet[:512]
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: snippet}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("kycaid: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}
