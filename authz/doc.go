// Package authz decides, for the gateway's check of every request and for
// direct calls to the resource and admin families, who the caller is and
// whether the permission table lets him through (reference §7). It works on
// in-memory snapshots of the restrictions, the pass/block rules and the
// permissions, reads callers through Principals (principals.go), kept in
// process memory and dropped on the changes of any process (cache.go), and
// knows nothing of HTTP. It imports the root package and token only.
package authz
