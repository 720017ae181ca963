// Package session stores tokensvc's own browser sessions: which subject and
// role a session id stands for, when it started, when it ends, and the CDN
// cookies last issued for it. One small Store interface, two implementations
// (Memory, the embedded default, and Redis, for several replicas), and one
// conformance suite (storetest) that both run under -race.
//
// Expiry follows an injected clock in both stores, so tests move time by hand
// and never sleep. The package imports nothing internal and nothing from
// net/http.
package session
