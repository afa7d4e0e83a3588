// Package barong is the domain of barong-go: the types of the identity
// server (users, labels, levels, profiles, phones, documents, API keys,
// service accounts, permissions, restrictions, activities, sessions, events),
// its error model, and the interfaces of the stores that hold them.
//
// It imports only the standard library. The rules live in package app, the
// storage in sqlstore and redisstore, the HTTP surface in api.
package barong
