// Package app holds the rules of barong-go: sign-up, sessions, e-mail
// confirmation, password reset, labels → level/state, activities, seeds and
// the outbox relay. It works on the root package's store interfaces; every
// change and the events it causes are written in one transaction.
package app
