// Package storetest is the conformance suite every session.Store runs: the
// memory store and the Redis store pass the same tests, under -race.
//
// A store under test takes its time from the suite's Clock, so expiry is
// tested by moving the clock, never by sleeping.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/session"
)

// Start is the suite's fixed starting time.
var Start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at Start.
func NewClock() *Clock { return &Clock{now: Start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// NewStore builds an empty store on clk. Stores that share a backend (Redis)
// must isolate each call, e.g. with a fresh key prefix or database.
type NewStore func(t *testing.T, clk *Clock) session.Store

var idSeq struct {
	sync.Mutex
	n int
}

// newID returns an id unique within the test binary.
func newID() string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("sid-%06d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", idSeq.n)
}

func sample(clk *Clock, subject string, ttl time.Duration) session.Session {
	now := clk.Now()
	return session.Session{
		ID: newID(), Subject: subject, Role: "LOGGED_IN",
		Created: now, Expires: now.Add(ttl), Cap: now.Add(12 * time.Hour),
		Issued: now, CookiesExpire: now.Add(ttl),
	}
}

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("round trip", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_42", 2*time.Hour)
		s.Role = "GUEST_OTP"
		s.Issued = s.Created.Add(time.Minute)
		s.CookiesExpire = s.Created.Add(90 * time.Minute)
		mustPut(t, st, s)
		got, err := st.Get(ctx, s.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertSession(t, got, s)
	})

	t.Run("subjects of every length policy allows", func(t *testing.T) {
		// 70 bytes is the longest subject ("guest_" and a 64-byte id); a
		// store may keep short and long ones differently.
		clk := NewClock()
		st := newStore(t, clk)
		long := "guest_" + strings.Repeat("a1-_", 16)
		var ss []session.Session
		for _, n := range []int{7, 41, 42, 43, 48, 64, 70} {
			subject := "user_" + strings.Repeat("x", n-len("user_"))
			if n == 70 {
				subject = long
			}
			s := sample(clk, subject, time.Hour)
			mustPut(t, st, s)
			ss = append(ss, s)
		}
		for _, s := range ss {
			got, err := st.Get(ctx, s.ID)
			if err != nil {
				t.Fatalf("Get (subject of %d bytes): %v", len(s.Subject), err)
			}
			assertSession(t, got, s)
		}
		// The same id put again with a subject of another length reads back
		// as the new one, both ways.
		shrunk := ss[len(ss)-1]
		shrunk.Subject = ss[0].Subject
		mustPut(t, st, shrunk)
		grown := ss[0]
		grown.Subject = long
		mustPut(t, st, grown)
		for _, s := range []session.Session{shrunk, grown} {
			got, err := st.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			assertSession(t, got, s)
		}
		if n, err := st.DeleteSubject(ctx, long); err != nil || n != 1 {
			t.Errorf("DeleteSubject(70-byte subject) = %d, %v; want 1 (the id re-put with it)", n, err)
		}
		if _, err := st.Get(ctx, grown.ID); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("after DeleteSubject: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("missing key", func(t *testing.T) {
		st := newStore(t, NewClock())
		for _, id := range []string{"", "nope", newID(), "\x00\xff", string(make([]byte, 4096))} {
			if _, err := st.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Get(%q) err = %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("expiry follows the clock", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "guest_a", 20*time.Minute)
		mustPut(t, st, s)
		clk.Advance(20*time.Minute - time.Second)
		if _, err := st.Get(ctx, s.ID); err != nil {
			t.Fatalf("one second before the end: %v", err)
		}
		clk.Advance(time.Second)
		if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("at the end: err = %v, want ErrNotFound", err)
		}
		clk.Advance(48 * time.Hour)
		if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("days later: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("delete then get", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_1", time.Hour)
		mustPut(t, st, s)
		if err := st.Delete(ctx, s.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("after delete: err = %v", err)
		}
		if err := st.Delete(ctx, s.ID); err != nil {
			t.Fatalf("second Delete: %v, want nil", err)
		}
	})

	t.Run("second put replaces and extends", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_1", time.Hour)
		mustPut(t, st, s)
		clk.Advance(50 * time.Minute)
		s.Expires = clk.Now().Add(time.Hour)
		mustPut(t, st, s)
		clk.Advance(30 * time.Minute)
		got, err := st.Get(ctx, s.ID)
		if err != nil {
			t.Fatalf("after the first end: %v", err)
		}
		assertSession(t, got, s)
	})

	t.Run("extend slides a live session", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_1", 2*time.Hour)
		mustPut(t, st, s)
		clk.Advance(90 * time.Minute)
		u := session.Update{Expires: clk.Now().Add(2 * time.Hour), Issued: clk.Now(), CookiesExpire: clk.Now().Add(2 * time.Hour)}
		if err := st.Extend(ctx, s.ID, u); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		clk.Advance(time.Hour)
		got, err := st.Get(ctx, s.ID)
		if err != nil {
			t.Fatalf("past the old end: %v", err)
		}
		want := s
		want.Expires, want.Issued, want.CookiesExpire = u.Expires, u.Issued, u.CookiesExpire
		assertSession(t, got, want)
	})

	t.Run("extend only moves forward", func(t *testing.T) {
		// Two requests that each read the session and then write must not
		// undo each other: a slide that read before a re-sign wrote keeps
		// the re-sign's cookie times, and an older end never replaces a
		// later one.
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_1", 2*time.Hour)
		mustPut(t, st, s)
		want := s
		step := func(what string, u session.Update) {
			t.Helper()
			if err := st.Extend(ctx, s.ID, u); err != nil {
				t.Fatalf("%s: Extend: %v", what, err)
			}
			got, err := st.Get(ctx, s.ID)
			if err != nil {
				t.Fatalf("%s: Get: %v", what, err)
			}
			assertSession(t, got, want)
		}
		clk.Advance(time.Hour)
		resign := session.Update{Expires: clk.Now().Add(2 * time.Hour), Issued: clk.Now(), CookiesExpire: clk.Now().Add(2 * time.Hour)}
		want.Expires, want.Issued, want.CookiesExpire = resign.Expires, resign.Issued, resign.CookiesExpire
		step("a re-sign", resign)
		// The slide of a request that read the session before the re-sign.
		step("a stale slide with the old cookie times", session.Update{Expires: resign.Expires.Add(-time.Second), Issued: s.Issued, CookiesExpire: s.CookiesExpire})
		step("a slide to an earlier end", session.Update{Expires: s.Expires})
		clk.Advance(10 * time.Minute)
		want.Expires = clk.Now().Add(2 * time.Hour)
		step("a slide, no cookie times", session.Update{Expires: want.Expires})
		// Past the re-sign's end, before the slid one.
		clk.Advance(resign.Expires.Sub(clk.Now()) + time.Minute)
		if _, err := st.Get(ctx, s.ID); err != nil {
			t.Fatalf("the slid session ended at its old end: %v", err)
		}
	})

	t.Run("extend never resurrects", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		u := func() session.Update {
			return session.Update{Expires: clk.Now().Add(time.Hour), Issued: clk.Now(), CookiesExpire: clk.Now().Add(time.Hour)}
		}
		deleted := sample(clk, "user_1", time.Hour)
		mustPut(t, st, deleted)
		if err := st.Delete(ctx, deleted.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Extend(ctx, deleted.ID, u()); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Extend of a deleted session: err = %v, want ErrNotFound", err)
		}
		if _, err := st.Get(ctx, deleted.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("deleted session came back: %v", err)
		}
		if err := st.Extend(ctx, newID(), u()); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Extend of an unknown id: err = %v", err)
		}
		ended := sample(clk, "user_1", time.Minute)
		mustPut(t, st, ended)
		clk.Advance(time.Minute)
		if err := st.Extend(ctx, ended.ID, u()); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Extend of an ended session: err = %v, want ErrNotFound", err)
		}
		if _, err := st.Get(ctx, ended.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("ended session came back: %v", err)
		}
	})

	t.Run("delete subject logs out everywhere", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		var mine []session.Session
		for i := 0; i < 3; i++ {
			s := sample(clk, "user_a", time.Hour)
			mustPut(t, st, s)
			mine = append(mine, s)
		}
		other := sample(clk, "user_ab", time.Hour)
		mustPut(t, st, other)
		n, err := st.DeleteSubject(ctx, "user_a")
		if err != nil {
			t.Fatalf("DeleteSubject: %v", err)
		}
		if n != 3 {
			t.Errorf("DeleteSubject = %d, want 3", n)
		}
		for _, s := range mine {
			if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("session of user_a survived: %v", err)
			}
		}
		if _, err := st.Get(ctx, other.ID); err != nil {
			t.Errorf("another subject's session was revoked: %v", err)
		}
		if n, err := st.DeleteSubject(ctx, "user_a"); err != nil || n != 0 {
			t.Errorf("second DeleteSubject = %d, %v; want 0, nil", n, err)
		}
		if n, err := st.DeleteSubject(ctx, "user_nobody"); err != nil || n != 0 {
			t.Errorf("DeleteSubject of nobody = %d, %v", n, err)
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		s := sample(clk, "user_1", time.Hour)
		mustPut(t, st, s)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		check := func(op string, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", op, err)
			}
		}
		check("Put", st.Put(cctx, sample(clk, "user_2", time.Hour)))
		_, err := st.Get(cctx, s.ID)
		check("Get", err)
		check("Extend", st.Extend(cctx, s.ID, session.Update{Expires: clk.Now().Add(time.Hour)}))
		check("Delete", st.Delete(cctx, s.ID))
		_, err = st.DeleteSubject(cctx, "user_1")
		check("DeleteSubject", err)
		check("Ping", st.Ping(cctx))
		if _, err := st.Get(ctx, s.ID); err != nil {
			t.Errorf("a cancelled Delete still deleted: %v", err)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if err := newStore(t, NewClock()).Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("concurrent access", func(t *testing.T) {
		clk := NewClock()
		st := newStore(t, clk)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				subject := fmt.Sprintf("user_%d", w%3)
				for i := 0; i < 50; i++ {
					s := sample(clk, subject, time.Hour)
					if err := st.Put(ctx, s); err != nil {
						errs <- err
						return
					}
					if _, err := st.Get(ctx, s.ID); err != nil && !errors.Is(err, session.ErrNotFound) {
						errs <- err
						return
					}
					u := session.Update{Expires: clk.Now().Add(2 * time.Hour), Issued: clk.Now(), CookiesExpire: clk.Now().Add(2 * time.Hour)}
					if err := st.Extend(ctx, s.ID, u); err != nil && !errors.Is(err, session.ErrNotFound) {
						errs <- err
						return
					}
					if i%10 == 0 {
						if _, err := st.DeleteSubject(ctx, subject); err != nil {
							errs <- err
							return
						}
					}
					if i%7 == 0 {
						if err := st.Delete(ctx, s.ID); err != nil {
							errs <- err
							return
						}
					}
					clk.Advance(time.Millisecond)
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func mustPut(t *testing.T, st session.Store, s session.Session) {
	t.Helper()
	if err := st.Put(context.Background(), s); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func assertSession(t *testing.T, got, want session.Session) {
	t.Helper()
	if got.ID != want.ID || got.Subject != want.Subject || got.Role != want.Role {
		t.Errorf("got id/subject/role %q/%q/%q, want %q/%q/%q", got.ID, got.Subject, got.Role, want.ID, want.Subject, want.Role)
	}
	times := []struct {
		name      string
		got, want time.Time
	}{
		{"Created", got.Created, want.Created}, {"Expires", got.Expires, want.Expires}, {"Cap", got.Cap, want.Cap},
		{"Issued", got.Issued, want.Issued}, {"CookiesExpire", got.CookiesExpire, want.CookiesExpire},
	}
	for _, tt := range times {
		if !tt.got.Equal(tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
