// Package phone normalises and validates phone numbers and sends and checks
// verification codes through a provider: a development mock (the default),
// Twilio Programmable SMS, or Twilio Verify (reference §6.3.5, §2.2).
//
// Numbers are kept as E.164 digits without the leading '+', e.g.
// 380501234567, and their country as an ISO 3166 alpha-2 code. Provider
// failures are *Error values carrying Barong's resource.phone.* key; no
// provider logs a verification code or a credential.
package phone
