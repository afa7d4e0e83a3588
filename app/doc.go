// Package app holds the rules of barong-go: sign-up, sessions, e-mail
// confirmation, password reset, labels → level/state, activities, seeds and
// the outbox relay. It works on the root package's store interfaces; every
// change and the events it causes are written in one transaction.
//
// Service is the composition of the concept services (app.go), one group
// of files per concept (identity_*, users_*, labels_*, kyc_*, apikeys_*,
// serviceaccounts_*, sessions*, otp_*, passkeys, access_*, activities,
// datastorage). Each method that takes a barong.Actor checks it first
// (access_check.go).
package app
