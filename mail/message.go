package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// buildMessage writes an RFC 5322 message with a multipart/alternative body
// (plain text first, HTML last, as preferred by the reader), CRLF line ends.
func (m *Mailer) buildMessage(to, subject, text, html string) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)

	from := mail.Address{Name: m.cfg.SenderName, Address: m.cfg.SenderEmail}
	hdr := []struct{ k, v string }{
		{"From", from.String()},
		{"To", (&mail.Address{Address: to}).String()},
		{"Subject", encodeHeader(subject)},
		{"Date", m.now().Format(time.RFC1123Z)},
		{"Message-ID", messageID(m.cfg.SenderEmail)},
		{"MIME-Version", "1.0"},
		{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()})},
	}
	for _, h := range hdr {
		if strings.ContainsAny(h.v, "\r\n") {
			return nil, fmt.Errorf("build message: line break in %s header", h.k)
		}
		buf.WriteString(h.k + ": " + h.v + "\r\n")
	}
	buf.WriteString("\r\n")

	for _, p := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", html},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("build message: %w", err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(p.body)); err != nil {
			return nil, fmt.Errorf("build message: %w", err)
		}
		if err := qw.Close(); err != nil {
			return nil, fmt.Errorf("build message: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeHeader returns s as is when it is printable ASCII, else as RFC 2047
// encoded words (B encoding keeps long Cyrillic subjects short).
func encodeHeader(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return mime.BEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(sender string) string {
	domain := "barong.local"
	if _, d, ok := strings.Cut(sender, "@"); ok && d != "" {
		domain = d
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
