package api

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// issued is one set of CDN cookies issued for a session.
type issued struct {
	cookies []cdnCookie
	at      time.Time // when they were signed
	expires time.Time // the expiry inside them
	// reuseUntil is when handing them out again stops being right: half
	// their lifetime for rolling sessions (then a re-sign is due), their
	// expiry for hard-end ones (a re-sign would give the same end).
	reuseUntil time.Time
	inline     [2]cdnCookie // cookies' backing array while it fits
	// rendered are the cookies' Set-Cookie values last written (writeIssued).
	rendered atomic.Pointer[renderedCookies]
}

// issuer signs CDN cookies for sessions. A page of 200 photos whose cookie
// just expired fires up to 200 /refresh calls at once: they share one
// signature, through a single flight per session and a small cache of the
// cookies last issued, reused while still fresh.
type issuer struct {
	a     *API
	group singleflight.Group

	mu    sync.Mutex
	cache map[string]*issued
	max   int
}

func newIssuer(a *API, max int) *issuer {
	return &issuer{a: a, cache: make(map[string]*issued), max: max}
}

func (is *issuer) fresh(id string, now time.Time) *issued {
	is.mu.Lock()
	defer is.mu.Unlock()
	e := is.cache[id]
	if e == nil {
		return nil
	}
	if !now.Before(e.reuseUntil) {
		delete(is.cache, id)
		return nil
	}
	return e
}

func (is *issuer) remember(id string, e *issued) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if len(is.cache) >= is.max {
		// Drop an arbitrary entry (map order is random): the cache only
		// saves signatures, so losing one costs one signature.
		for k := range is.cache {
			delete(is.cache, k)
			break
		}
	}
	is.cache[id] = e
}

func (is *issuer) forget(id string) {
	is.mu.Lock()
	delete(is.cache, id)
	is.mu.Unlock()
}

func reuseUntil(rule policy.Rule, at, expires time.Time) time.Time {
	if !rule.Rolling {
		return expires
	}
	return at.Add(expires.Sub(at) / 2)
}

// sign appends to dst the cookies of every configured format for
// urlPrefix, ending at expires.
func (a *API) sign(dst []cdnCookie, urlPrefix string, expires time.Time) ([]cdnCookie, error) {
	g := signing.Grant{URLPrefix: urlPrefix, Expires: expires}
	for _, s := range a.signers {
		start := time.Now()
		cs, err := s.Sign(g)
		a.metrics.observeSign(s.Format(), time.Since(start), err)
		if err != nil {
			return nil, fmt.Errorf("api: sign %s: %w", s.Format(), err)
		}
		for _, c := range cs {
			dst = append(dst, cdnCookie{format: s.Format(), name: c.Name, value: c.Value})
		}
	}
	return dst, nil
}

// signFor signs the cookies of a session of rule for subject, ending at
// expires, into a new issued (one allocation for it and its cookies).
func (a *API) signFor(rule policy.Rule, subject string, at, expires time.Time) (*issued, error) {
	e := &issued{at: at, expires: expires, reuseUntil: reuseUntil(rule, at, expires)}
	cookies, err := a.sign(e.inline[:0], rule.URLPrefix(a.base, subject), expires)
	if err != nil {
		return nil, err
	}
	e.cookies = cookies
	return e, nil
}

// current returns cookies for a live session whose cookies are not due for
// a re-sign: the cached ones when fresh, otherwise (another replica signed
// them, or this one restarted) a new signature with the same expiry.
func (is *issuer) current(s session.Session, rule policy.Rule, now time.Time) (*issued, bool, error) {
	if e := is.fresh(s.ID, now); e != nil {
		return e, true, nil
	}
	// current and reissue share one flight key on purpose: a request that
	// reads the session right after a reissue's store update (so finds
	// nothing due) while that flight has not yet filled the cache must join
	// it, not sign again. A reissue that joins a current flight gets its
	// cookies (reported as reused) and leaves the re-sign to the next call.
	signed := false // true only for the caller whose flight signed
	v, err, _ := is.group.Do(s.ID, func() (any, error) {
		if e := is.fresh(s.ID, now); e != nil {
			return e, nil
		}
		signed = true
		e, err := is.a.signFor(rule, s.Subject, s.Issued, s.CookiesExpire)
		if err != nil {
			return nil, err
		}
		is.remember(s.ID, e)
		return e, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.(*issued), !signed, nil
}

// reissue re-signs a rolling session's cookies to end at ends and records
// that in the store, once for all concurrent callers. It returns
// session.ErrNotFound when the session ended or was revoked meanwhile.
func (is *issuer) reissue(ctx context.Context, s session.Session, rule policy.Rule, now, ends time.Time) (*issued, bool, error) {
	if e := is.fresh(s.ID, now); e != nil {
		return e, true, nil
	}
	// The flight must not die with the first caller's request: the others
	// wait on it too.
	ctx = context.WithoutCancel(ctx)
	signed := false // true only for the caller whose flight signed
	v, err, _ := is.group.Do(s.ID, func() (any, error) {
		// A flight that finished a moment ago already did the work.
		if e := is.fresh(s.ID, now); e != nil {
			return e, nil
		}
		signed = true
		e, err := is.a.signFor(rule, s.Subject, now, ends)
		if err != nil {
			return nil, err
		}
		if err := is.a.store.Extend(ctx, s.ID, session.Update{Expires: ends, Issued: now, CookiesExpire: ends}); err != nil {
			return nil, err
		}
		is.remember(s.ID, e)
		return e, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.(*issued), !signed, nil
}
