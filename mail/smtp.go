package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
)

// send delivers msg to one recipient over SMTP: EHLO, STARTTLS when the
// server offers it (certificate verified), AUTH PLAIN when a user is set,
// MAIL, RCPT, DATA, QUIT. The whole exchange is bounded by ctx and by
// sendTimeout; cancelling ctx aborts it at once.
func (m *Mailer) send(ctx context.Context, to string, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, m.sendTimeout)
	defer cancel()

	addr := net.JoinHostPort(m.smtpHost, m.smtpPort)
	d := net.Dialer{Timeout: m.dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to SMTP server %s: %w", addr, err)
	}
	// Closing the connection unblocks any read or write when ctx ends (its
	// deadline included), so the error then always carries ctx's cause.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
	}()

	c, err := smtp.NewClient(conn, m.smtpHost)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting from %s: %w", addr, err)
	}
	defer c.Close()

	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("SMTP EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(m.tlsFor()); err != nil {
			return fmt.Errorf("SMTP STARTTLS: %w", err)
		}
	}
	if m.smtpUser != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("SMTP server does not offer AUTH but a user is configured")
		}
		// PlainAuth refuses to send the password over an unencrypted
		// connection to anything but localhost.
		auth := smtp.PlainAuth("", m.smtpUser, m.smtpPass, m.smtpHost)
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("SMTP AUTH PLAIN: %w", err)
		}
	}
	if err := c.Mail(m.cfg.SenderEmail); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("SMTP RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("SMTP DATA: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP DATA: end of message: %w", err)
	}
	// The message was accepted at the end of DATA; a failed QUIT does not
	// undo that, so it is not reported (a retry would send it twice).
	_ = c.Quit()
	return nil
}

func (m *Mailer) tlsFor() *tls.Config {
	if m.tlsConfig != nil {
		c := m.tlsConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = m.smtpHost
		}
		return c
	}
	return &tls.Config{ServerName: m.smtpHost, MinVersion: tls.VersionTLS12}
}
