// Package redisstore keeps barong-go's shared short-lived state in Redis:
// cookie sessions (barong.SessionStore), one-time markers and counters
// (barong.KV), authz's source of callers (Principals: sessions and used
// nonces here, users and keys from the database) and the feed of changes
// between the `barong serve` processes (changes.go) that authz's process
// cache follows. It is used when BARONG_REDIS_URL is set, so that any
// number of processes share sessions, throttle counters and used-token
// markers.
//
// Every key lives under a prefix (default "barong:"), unlike Barong's flat
// key space:
//
//	<prefix>session:<sha256hex(id)>      session record, compact JSON, TTL = idle lifetime
//	<prefix>user_sessions:<uid>          ZSET of the user's session hashes scored by
//	                                     expiry (unix ms), TTL = latest member expiry
//	<prefix>kv:<key>                     KV values and counters, used nonces of shared
//	                                     API keys (kv:nonce:<kid>:<nonce>)
//	<prefix>nonceowner:<kid>             which process checks the key's nonces
//	                                     (o:<process>) or shared (s:<below>), nonces.go
//	<prefix>alive:<process>              a process that checks nonces is alive, TTL 3 s
//	<prefix>changes                      pub/sub channel of the changes (JSON)
//	<prefix>changes:ack:<process>        pub/sub channel of a process' acknowledgements
//	                                     and heartbeats
//
// The plain session id (the cookie value) is never stored: records are
// keyed by its SHA-256. The per-user index carries a relative TTL that
// follows its members (Barong passed an absolute epoch as TTL, so its index
// entries lived for decades), and stale members are pruned whenever the
// index is written.
//
// Multi-key operations run as Lua scripts, so each is atomic and costs one
// round trip; Session, TouchSession and every KV call are one round trip.
// An authz request in steady state reads nothing from Redis: a cookie
// request nothing at all, an API-key request nothing when its key is used
// through this process only, one SET NX of its nonce when the key is
// shared between processes, pipelined with those of the concurrent
// requests (go-redis' autopipeliner).
//
// Scripts address keys derived from the prefix, so the package targets a
// standalone Redis (optionally behind Sentinel), not Redis Cluster.
package redisstore
