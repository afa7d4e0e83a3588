package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// received is one message accepted by the test SMTP server.
type received struct {
	From     string
	To       []string
	Data     string
	AuthUser string
	AuthPass string
	TLS      bool
}

// testSMTP is a minimal SMTP server on 127.0.0.1: EHLO/HELO, STARTTLS (when
// tlsConf is set), AUTH PLAIN (required when user is set), MAIL, RCPT, DATA,
// RSET, NOOP, QUIT.
type testSMTP struct {
	addr    string
	user    string
	pass    string
	tlsConf *tls.Config
	msgs    chan received
}

func startSMTP(t *testing.T, user, pass string, tlsConf *tls.Config) *testSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &testSMTP{addr: ln.Addr().String(), user: user, pass: pass, tlsConf: tlsConf, msgs: make(chan received, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// url returns the SMTP URL of the server with its credentials.
func (s *testSMTP) url() string {
	host, port, _ := net.SplitHostPort(s.addr)
	return SMTPURLFromParts(host, port, s.user, s.pass)
}

// next waits for the next accepted message.
func (s *testSMTP) next(t *testing.T) received {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message received by the test SMTP server")
		return received{}
	}
}

func (s *testSMTP) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	var cur received
	authed := false
	_ = tp.PrintfLine("220 test ESMTP ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"test greets you"}
			if s.tlsConf != nil && !cur.TLS {
				ext = append(ext, "STARTTLS")
			}
			if s.user != "" {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			if s.tlsConf == nil || cur.TLS {
				_ = tp.PrintfLine("502 no")
				continue
			}
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp = tc, textproto.NewConn(tc)
			cur = received{TLS: true}
			authed = false
		case "AUTH":
			f := strings.Fields(arg)
			if len(f) == 0 || !strings.EqualFold(f[0], "PLAIN") {
				_ = tp.PrintfLine("504 only PLAIN")
				continue
			}
			resp := ""
			if len(f) > 1 {
				resp = f[1]
			} else {
				_ = tp.PrintfLine("334 ")
				if resp, err = tp.ReadLine(); err != nil {
					return
				}
			}
			b, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				_ = tp.PrintfLine("535 5.7.8 authentication failed")
				continue
			}
			cur.AuthUser, cur.AuthPass, authed = parts[1], parts[2], true
			_ = tp.PrintfLine("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && !authed {
				_ = tp.PrintfLine("530 5.7.0 authentication required")
				continue
			}
			cur.From = addrArg(arg)
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			cur.To = append(cur.To, addrArg(arg))
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = string(data)
			s.msgs <- cur
			cur = received{TLS: cur.TLS, AuthUser: cur.AuthUser, AuthPass: cur.AuthPass}
			_ = tp.PrintfLine("250 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown command")
		}
	}
}

// addrArg extracts the address of "FROM:<a@b>" or "TO:<a@b> PARAM".
func addrArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	a, _, _ := strings.Cut(rest, ">")
	return a
}

// parsedMessage is a received message split into headers and parts.
type parsedMessage struct {
	Header  mail.Header
	Subject string // decoded
	Text    string
	HTML    string
}

func parseMessage(t *testing.T, data string) parsedMessage {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	var p parsedMessage
	p.Header = msg.Header
	p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, err := io.ReadAll(part) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(b)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	return p
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}
