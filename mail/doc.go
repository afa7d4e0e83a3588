// Package mail is barong-go's built-in mailer: it turns Barong events into
// e-mails and either sends them over SMTP or, with no SMTP server configured,
// writes them to the log.
//
// It replaces Barong's separate mailer daemon (reference §9.6). The outbox
// relay calls [Mailer.Handle] with the event name and the event object exactly
// as it is published to RabbitMQ; events that have no template are ignored.
//
// # Mailed events
//
// Barong's default config/mailer.yml (reference §2.7) mails these Barong
// events, and so does this package, with templates for "en" and "ru":
//
//   - system.user.email.confirmation.token: link
//     <domain>/accounts/confirmation?confirmation_token=<token>&lang=<lang>
//   - system.user.password.reset.token: link
//     <domain>/accounts/password_reset?reset_token=<token>&lang=<lang>
//   - system.session.create: new sign-in (IP address, user agent, time)
//   - model.label.created, model.label.updated: a label of the account changed
//     (e.g. "your document was verified")
//
// system.user.password.change, system.user.password.reset and
// system.user.email.confirmed are not in Barong's default mailer.yml and are
// not mailed by default. An operator can add them (or any other event) by
// placing templates for them in Config.TemplatesDir.
//
// # Templates
//
// Every mailed event has, per language, two files named after the full event
// name: "<event>.<lang>.txt" is a text/template whose {{define "subject"}}
// block gives the subject and whose body is the plain-text part;
// "<event>.<lang>.html" is an html/template that defines "content", which
// "layout.html" wraps into the HTML part. Files in Config.TemplatesDir replace
// the embedded files of the same name and may add events or languages. The
// templates receive a [TemplateData].
//
// # Language
//
// The language is the "language" field of the user's "data" (a JSON string
// or object, case-insensitive), else Config.UserLanguage, else
// Config.DefaultLanguage. When no template exists for that language the
// DefaultLanguage template is used, and then "en": Barong's daemon skips
// such e-mails, sending English is friendlier.
//
// # Log mode
//
// Without Config.SMTPURL (the zero-config default of the embedded setup) every
// e-mail is written to the log at info level: recipient, subject and the
// plain-text body. That body holds the one-time confirmation and reset links,
// which the operator needs to confirm accounts without a mail server; log mode
// is therefore a development mode and must not be used in production. In SMTP
// mode nothing of the message body is logged.
package mail
