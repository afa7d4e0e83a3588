// Package redisstore keeps barong-go's shared short-lived state in Redis:
// cookie sessions (barong.SessionStore), one-time markers and counters
// (barong.KV), and a small publish/subscribe channel that tells every
// `barong serve` process when cached permissions or restrictions changed.
// It is used when BARONG_REDIS_URL is set, so that any number of processes
// share sessions, throttle counters and used-token markers.
//
// Every key lives under a prefix (default "barong:"), unlike Barong's flat
// key space:
//
//	<prefix>session:<sha256hex(id)>      session record, compact JSON, TTL = idle lifetime
//	<prefix>user_sessions:<uid>          ZSET of the user's session hashes scored by
//	                                     expiry (unix ms), TTL = latest member expiry
//	<prefix>kv:<key>                     KV values and counters
//	<prefix>user:<uid>, sa:<uid>,        principal snapshots of authz's hot path
//	<prefix>apikey:<kid>                 (see Principals), TTL 1 min
//	<prefix>lease                        counter of the snapshot leases
//
// The plain session id (the cookie value) is never stored: records are
// keyed by its SHA-256. The per-user index carries a relative TTL that
// follows its members (Barong passed an absolute epoch as TTL, so its index
// entries lived for decades), and stale members are pruned whenever the
// index is written.
//
// Multi-key operations run as Lua scripts, so each is atomic and costs one
// round trip; Session, TouchSession and every KV call are one round trip,
// and so is each authz request in steady state (Principals.Cookie,
// Principals.APIKey).
//
// Scripts address keys derived from the prefix, so the package targets a
// standalone Redis (optionally behind Sentinel), not Redis Cluster.
package redisstore
