package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Signature Version 4 for the S3 service, written from the published
// algorithm: canonical request → string to sign → HMAC-SHA256 chain.
const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// emptySHA256 is the hex SHA-256 of no bytes.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// signer holds the credentials and the region of the signature scope.
type signer struct {
	accessKey, secretKey, region string
}

func (s signer) scope(t time.Time) string {
	return t.Format("20060102") + "/" + s.region + "/s3/aws4_request"
}

// signRequest sets X-Amz-Date, X-Amz-Content-Sha256 and Authorization on
// req, signing the host and every header already set on req.
func (s signer) signRequest(req *http.Request, payloadHash string, t time.Time) {
	t = t.UTC()
	req.Header.Set("X-Amz-Date", t.Format(amzDateFormat))
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	names, canonHeaders := canonicalHeaders(req)
	creq := canonicalRequest(req.Method, req.URL, canonHeaders, names, payloadHash)
	sig := s.signature(creq, t)
	req.Header.Set("Authorization", sigAlgorithm+" Credential="+s.accessKey+"/"+s.scope(t)+
		", SignedHeaders="+names+", Signature="+sig)
}

// presign returns u with the query authentication of a GET valid for
// expires, signing only the host header.
func (s signer) presign(method string, u *url.URL, expires time.Duration, t time.Time) *url.URL {
	t = t.UTC()
	out := *u
	q := out.Query()
	q.Set("X-Amz-Algorithm", sigAlgorithm)
	q.Set("X-Amz-Credential", s.accessKey+"/"+s.scope(t))
	q.Set("X-Amz-Date", t.Format(amzDateFormat))
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	q.Set("X-Amz-SignedHeaders", "host")
	out.RawQuery = canonicalQuery(q)
	creq := canonicalRequest(method, &out, "host:"+u.Host+"\n", "host", unsignedPayload)
	out.RawQuery += "&X-Amz-Signature=" + s.signature(creq, t)
	return &out
}

// signature signs a canonical request.
func (s signer) signature(canonicalRequest string, t time.Time) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	toSign := sigAlgorithm + "\n" + t.Format(amzDateFormat) + "\n" + s.scope(t) + "\n" + hex.EncodeToString(sum[:])
	k := hmacSHA256([]byte("AWS4"+s.secretKey), t.Format("20060102"))
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalRequest joins the parts of SigV4's canonical request. The path
// is used as escaped on the wire (S3 does not normalise it).
func canonicalRequest(method string, u *url.URL, headers, signedHeaders, payloadHash string) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return method + "\n" + p + "\n" + canonicalQuery(u.Query()) + "\n" + headers + "\n" + signedHeaders + "\n" + payloadHash
}

// canonicalHeaders lists host and req's headers, lower-cased, sorted, with
// trimmed values; it returns the signed-header names and the header block.
func canonicalHeaders(req *http.Request) (names, block string) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	vals := map[string]string{"host": host}
	for k, v := range req.Header {
		vals[strings.ToLower(k)] = strings.Join(trimAll(v), ",")
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ":" + vals[k] + "\n")
	}
	return strings.Join(keys, ";"), b.String()
}

func trimAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.Join(strings.Fields(s), " ")
	}
	return out
}

// canonicalQuery encodes q sorted by name then value, with SigV4's
// percent-encoding.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and
// '/' unless encodeSlash), upper-case hex, as SigV4 requires.
func uriEncode(s string, encodeSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
}
