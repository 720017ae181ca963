package session

import (
	"context"
	"crypto/sha256"
	"runtime"
	"sync"
	"time"
)

// Memory is the embedded store: one process, no outside setup. It is the
// default; a site with several replicas uses Redis.
//
// It is kept small on purpose (issue: at most 256 bytes a live session,
// measured by BenchmarkMemoryStoreFootprint): the key is the id's 32-byte
// SHA-256 held inline, times are uint32 Unix seconds (good until 2106), the
// role is an index into the few role names seen, and there is no
// per-subject index; DeleteSubject scans, which is rare and linear in live
// sessions.
//
// And it holds no pointers: the subject is kept in the entry itself, so the
// garbage collector never walks the map. With the subject as a string, a
// million sessions were a million objects to mark on every GC cycle, which
// showed as the p99 of a grant under load.
type Memory struct {
	now Clock

	mu    sync.RWMutex
	byID  map[[sha256.Size]byte]memEntry
	long  map[[sha256.Size]byte]string // subjects longer than subjectInline, rare
	roles []string                     // role names, indexed by memEntry.role
}

// subjectInline is the longest subject an entry holds itself: a tier
// prefix and a UUID fit ("guest_" and 36 bytes), and the entry is 64 bytes.
// Longer ones (policy allows 70 bytes) live in Memory.long.
const subjectInline = 42

// subjectLong in memEntry.subLen says the subject is in Memory.long.
const subjectLong = 0xff

type memEntry struct {
	created, expires, capAt, issued, cexp uint32
	role                                  uint8
	subLen                                uint8
	sub                                   [subjectInline]byte
}

// secs is t as uint32 Unix seconds (0 for the zero time), clamped to the
// uint32 range.
func secs(t time.Time) uint32 {
	s := unixSec(t)
	switch {
	case s <= 0:
		return 0
	case s > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(s)
}

func fromSecs(s uint32) time.Time { return fromUnix(int64(s)) }

// roleIndex returns the index of role, adding it; m.mu must be held for
// writing.
func (m *Memory) roleIndex(role string) uint8 {
	for i, r := range m.roles {
		if r == role {
			return uint8(i)
		}
	}
	if len(m.roles) == 255 {
		return 255 // more distinct roles than any policy has: read back as ""
	}
	m.roles = append(m.roles, role)
	return uint8(len(m.roles) - 1)
}

func (m *Memory) roleName(i uint8) string {
	if int(i) < len(m.roles) {
		return m.roles[i]
	}
	return ""
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store on clock now (time.Now when nil).
func NewMemory(now Clock) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, byID: make(map[[sha256.Size]byte]memEntry), long: make(map[[sha256.Size]byte]string)}
}

// setSubject stores subject for the entry e of key k; m.mu must be held for
// writing.
func (m *Memory) setSubject(k [sha256.Size]byte, e *memEntry, subject string) {
	if len(m.long) > 0 {
		delete(m.long, k) // a Put over an entry that had a long subject
	}
	if len(subject) > subjectInline {
		e.subLen = subjectLong
		m.long[k] = subject
		return
	}
	e.subLen = uint8(copy(e.sub[:], subject))
}

// subject returns the subject of entry e of key k; m.mu must be held.
func (m *Memory) subject(k [sha256.Size]byte, e *memEntry) string {
	if e.subLen == subjectLong {
		return m.long[k]
	}
	return string(e.sub[:e.subLen])
}

// hasSubject reports whether entry e of key k is subject's, without
// copying; m.mu must be held.
func (m *Memory) hasSubject(k [sha256.Size]byte, e *memEntry, subject string) bool {
	if e.subLen == subjectLong {
		return m.long[k] == subject
	}
	return string(e.sub[:e.subLen]) == subject
}

// remove deletes the entry e of key k; m.mu must be held for writing.
func (m *Memory) remove(k [sha256.Size]byte, e *memEntry) {
	if e.subLen == subjectLong {
		delete(m.long, k)
	}
	delete(m.byID, k)
}

// live reports whether e has not ended at now.
func (m *Memory) live(e *memEntry) bool { return m.now().Unix() < int64(e.expires) }

func (m *Memory) Put(ctx context.Context, s Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := memEntry{
		created: secs(s.Created), expires: secs(s.Expires), capAt: secs(s.Cap),
		issued: secs(s.Issued), cexp: secs(s.CookiesExpire),
	}
	k := keyOf(s.ID)
	m.mu.Lock()
	e.role = m.roleIndex(s.Role)
	m.setSubject(k, &e, s.Subject)
	m.byID[k] = e
	m.mu.Unlock()
	return nil
}

func (m *Memory) Get(ctx context.Context, id string) (Session, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, err
	}
	k := keyOf(id)
	m.mu.RLock()
	e, ok := m.byID[k]
	if !ok || !m.live(&e) {
		m.mu.RUnlock()
		return Session{}, ErrNotFound
	}
	role, subject := m.roleName(e.role), m.subject(k, &e)
	m.mu.RUnlock()
	return Session{
		ID: id, Subject: subject, Role: role,
		Created: fromSecs(e.created), Expires: fromSecs(e.expires), Cap: fromSecs(e.capAt),
		Issued: fromSecs(e.issued), CookiesExpire: fromSecs(e.cexp),
	}, nil
}

func (m *Memory) Extend(ctx context.Context, id string, u Update) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := keyOf(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byID[k]
	if !ok || !m.live(&e) {
		return ErrNotFound
	}
	if ex := secs(u.Expires); ex > e.expires {
		e.expires = ex
	}
	if is := secs(u.Issued); is > e.issued {
		e.issued, e.cexp = is, secs(u.CookiesExpire)
	}
	m.byID[k] = e
	return nil
}

func (m *Memory) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := keyOf(id)
	m.mu.Lock()
	if e, ok := m.byID[k]; ok {
		m.remove(k, &e)
	}
	m.mu.Unlock()
	return nil
}

func (m *Memory) DeleteSubject(ctx context.Context, subject string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, e := range m.byID {
		if m.hasSubject(k, &e, subject) {
			if m.live(&e) {
				n++
			}
			m.remove(k, &e)
		}
	}
	return n, nil
}

func (m *Memory) Ping(ctx context.Context) error { return ctx.Err() }

// Len returns how many sessions the map holds, ended ones not yet swept
// included.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.byID)
}

// sweepChunk is how many entries Sweep looks at before it lets other
// callers have the lock: about a tenth of a millisecond. Holding it for a
// whole scan took 27 ms at a million sessions, a stall every request in
// that window waited out.
const sweepChunk = 4096

// Sweep deletes every ended session and returns how many. Get already hides
// them; sweeping only returns their memory. It scans in chunks, releasing
// the lock between them; the map may change meanwhile (Go's range allows
// that): a session added during the sweep may or may not be looked at, and
// one that ends during it waits for the next sweep.
func (m *Memory) Sweep() int {
	now := m.now().Unix()
	m.mu.Lock()
	n, seen := 0, 0
	for k, e := range m.byID {
		if now >= int64(e.expires) {
			m.remove(k, &e)
			n++
		}
		if seen++; seen%sweepChunk == 0 {
			m.mu.Unlock()
			runtime.Gosched()
			m.mu.Lock()
		}
	}
	m.mu.Unlock()
	return n
}

// RunSweeper sweeps every interval until ctx ends.
func (m *Memory) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep()
		}
	}
}
