package session

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Memory is the embedded store: one process, no outside setup. It is the
// default; a site with several replicas uses Redis.
//
// It is kept small on purpose (issue: at most 256 bytes a live session):
// the key is the id's 32-byte SHA-256 held inline, times are Unix seconds,
// and there is no per-subject index; DeleteSubject scans, which is rare and
// linear in live sessions.
type Memory struct {
	now Clock

	mu   sync.RWMutex
	byID map[[sha256.Size]byte]memEntry
}

type memEntry struct {
	subject, role                         string
	created, expires, capAt, issued, cexp int64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store on clock now (time.Now when nil).
func NewMemory(now Clock) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, byID: make(map[[sha256.Size]byte]memEntry)}
}

// live reports whether e has not ended at now.
func (m *Memory) live(e memEntry) bool { return m.now().Unix() < e.expires }

func (m *Memory) Put(ctx context.Context, s Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := memEntry{
		subject: s.Subject, role: s.Role,
		created: unixSec(s.Created), expires: unixSec(s.Expires), capAt: unixSec(s.Cap),
		issued: unixSec(s.Issued), cexp: unixSec(s.CookiesExpire),
	}
	k := keyOf(s.ID)
	m.mu.Lock()
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
	m.mu.RUnlock()
	if !ok || !m.live(e) {
		return Session{}, ErrNotFound
	}
	return Session{
		ID: id, Subject: e.subject, Role: e.role,
		Created: fromUnix(e.created), Expires: fromUnix(e.expires), Cap: fromUnix(e.capAt),
		Issued: fromUnix(e.issued), CookiesExpire: fromUnix(e.cexp),
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
	if !ok || !m.live(e) {
		return ErrNotFound
	}
	e.expires, e.issued, e.cexp = unixSec(u.Expires), unixSec(u.Issued), unixSec(u.CookiesExpire)
	m.byID[k] = e
	return nil
}

func (m *Memory) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := keyOf(id)
	m.mu.Lock()
	delete(m.byID, k)
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
		if e.subject == subject {
			if m.live(e) {
				n++
			}
			delete(m.byID, k)
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

// Sweep deletes every ended session and returns how many. Get already hides
// them; sweeping only returns their memory.
func (m *Memory) Sweep() int {
	now := m.now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, e := range m.byID {
		if now >= e.expires {
			delete(m.byID, k)
			n++
		}
	}
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
