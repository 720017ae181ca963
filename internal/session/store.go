package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// ErrNotFound is returned for a session that does not exist, has ended
// (now at or past Expires) or was revoked. Callers cannot tell these apart,
// on purpose: an ended session and a forged id get the same answer.
var ErrNotFound = errors.New("session: not found")

// ErrUnavailable wraps every failure to reach the backing store, so the api
// can answer 503 store_unavailable without knowing which store it has.
var ErrUnavailable = errors.New("session: store unavailable")

// Session is one tokensvc browser session. Times are kept to the second:
// CDN expiries are whole Unix seconds.
type Session struct {
	ID      string // the opaque id from the session cookie
	Subject string // "guest_…" or "user_…"
	Role    string // a policy.Role
	Created time.Time
	// Expires is the current end; it slides for rolling roles.
	Expires time.Time
	// Cap is the latest Expires may ever reach.
	Cap time.Time
	// Issued is when the CDN cookies were last signed, CookiesExpire the
	// expiry inside them: together they say when a re-sign is due.
	Issued        time.Time
	CookiesExpire time.Time
}

// Update is an atomic change to a live session: a new end and, after a
// re-sign, the new cookie times. Both only ever move forward: Extend keeps
// a later end it already has, and takes Issued and CookiesExpire only when
// Issued is later than the stored one (a zero Issued slides the end and
// leaves the cookie times alone). So requests that read a session, then
// write, cannot undo each other: a slide that read the session before a
// concurrent re-sign wrote cannot put the old cookie times back (which
// would leave the re-sign due in the store and fresh in the issuer's
// cache, and the session would stop sliding).
type Update struct {
	Expires       time.Time
	Issued        time.Time
	CookiesExpire time.Time
}

// Store keeps sessions. Every implementation runs the storetest suite.
//
// It has more than the usual three methods because each is one atomic step
// a replica needs: Extend must not resurrect a session that another replica
// revoked in between (so it is not Get followed by Put), and DeleteSubject
// is "log this user out everywhere".
type Store interface {
	// Put creates or replaces s; it lives until s.Expires.
	Put(ctx context.Context, s Session) error
	// Get returns the live session id, or ErrNotFound.
	Get(ctx context.Context, id string) (Session, error)
	// Extend applies u to the live session id, atomically and only forward
	// (see Update): ErrNotFound when it has ended or is gone, and then
	// nothing is written.
	Extend(ctx context.Context, id string, u Update) error
	// Delete revokes id. Deleting a missing session is not an error.
	Delete(ctx context.Context, id string) error
	// DeleteSubject revokes every session of subject and says how many.
	DeleteSubject(ctx context.Context, subject string) (int, error)
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// Clock is the time source of a store.
type Clock func() time.Time

// keyOf is the storage key of a session id: its SHA-256. A dump of Redis (or
// of the process) then never yields a session cookie someone could replay.
func keyOf(id string) [sha256.Size]byte {
	// A stack copy: converting the string would allocate on every request.
	var buf [64]byte
	if len(id) <= len(buf) {
		n := copy(buf[:], id)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(id))
}

// keyString is keyOf as text, for stores with string keys.
func keyString(id string) string {
	k := keyOf(id)
	return base64.RawURLEncoding.EncodeToString(k[:])
}

func unixSec(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
