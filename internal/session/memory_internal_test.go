package session

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// TestMemoryEntryHoldsNoPointers: the map's keys and values must stay
// pointer-free, or the garbage collector walks every live session on every
// cycle again.
func TestMemoryEntryHoldsNoPointers(t *testing.T) {
	var hasPtr func(reflect.Type) bool
	hasPtr = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Array:
			return hasPtr(ty.Elem())
		case reflect.Struct:
			for i := range ty.NumField() {
				if hasPtr(ty.Field(i).Type) {
					return true
				}
			}
			return false
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			return false
		}
		return true
	}
	m := NewMemory(nil)
	if ty := reflect.TypeOf(m.byID); hasPtr(ty.Key()) || hasPtr(ty.Elem()) {
		t.Fatalf("%v holds pointers", ty)
	}
}

// TestMemoryLongSubjectsDoNotLeak: the side map of long subjects loses its
// entry whichever way the session goes.
func TestMemoryLongSubjectsDoNotLeak(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := now
	m := NewMemory(func() time.Time { return clock })
	ctx := context.Background()
	long := "user_" + strings.Repeat("z", 64)
	put := func(id, subject string, ttl time.Duration) {
		t.Helper()
		if err := m.Put(ctx, Session{ID: id, Subject: subject, Role: "LOGGED_IN", Created: now, Expires: now.Add(ttl), Cap: now.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	put("deleted", long, time.Hour)
	put("swept", long, time.Minute)
	put("everywhere", "user_"+strings.Repeat("y", 64), time.Hour)
	put("shrunk", long, time.Hour)
	if len(m.long) != 4 {
		t.Fatalf("long subjects = %d, want 4", len(m.long))
	}
	put("shrunk", "user_short", time.Hour)
	if err := m.Delete(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DeleteSubject(ctx, "user_"+strings.Repeat("y", 64)); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(time.Minute)
	m.Sweep()
	if len(m.long) != 0 || m.Len() != 1 {
		t.Fatalf("after delete, log out everywhere, sweep and a shorter re-put: %d long subjects, %d sessions; want 0 and 1", len(m.long), m.Len())
	}
}

// TestMemoryEntrySize: 64 bytes an entry (the footprint benchmark's budget
// is 256 bytes a session, map overhead included).
func TestMemoryEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(memEntry{}); n != 64 {
		t.Fatalf("memEntry is %d bytes, want 64", n)
	}
}

// TestMemorySweepWithConcurrentWriters: Sweep gives the lock up between
// chunks, so the map changes under its range; it must still remove exactly
// the sessions that had ended, and keep every one added meanwhile (run with
// -race).
func TestMemorySweepWithConcurrentWriters(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := NewMemory(func() time.Time { return now })
	ctx := context.Background()
	const n = 5 * sweepChunk
	for i := range n {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = -time.Second // ended
		}
		if err := m.Put(ctx, Session{ID: "s" + strconv.Itoa(i), Subject: "user_x", Role: "R", Created: now, Expires: now.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		added := 0
		for {
			select {
			case <-stop:
				done <- added
				return
			default:
			}
			id := "new" + strconv.Itoa(added)
			if err := m.Put(ctx, Session{ID: id, Subject: "user_y", Role: "R", Created: now, Expires: now.Add(time.Hour)}); err != nil {
				t.Error(err)
			}
			if _, err := m.Get(ctx, id); err != nil {
				t.Error(err)
			}
			added++
		}
	}()
	swept := m.Sweep()
	close(stop)
	added := <-done
	if swept != n/2 {
		t.Errorf("Sweep removed %d, want the %d that had ended", swept, n/2)
	}
	if got, want := m.Len(), n/2+added; got != want {
		t.Errorf("Len after sweep = %d, want %d live (%d added during it)", got, want, added)
	}
}

// TestRunSweeperSweepsUntilStopped: the sweeper the service starts removes
// ended sessions on its own, and returns when its context ends. (The tick
// is real time; expiry follows the injected clock. The waits only bound a
// hang.)
func TestRunSweeperSweepsUntilStopped(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	m := NewMemory(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	ctx := context.Background()
	for i := range 10 {
		if err := m.Put(ctx, Session{ID: "s" + strconv.Itoa(i), Subject: "user_x", Role: "R", Created: now, Expires: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()

	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.RunSweeper(sctx, time.Millisecond); close(done) }()
	for end := time.Now().Add(5 * time.Second); m.Len() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d ended sessions still held 5 s after the sweeper started", m.Len())
		}
	}
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunSweeper did not return after its context ended")
	}
}
