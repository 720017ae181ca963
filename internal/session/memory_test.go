package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk *storetest.Clock) session.Store {
		return session.NewMemory(clk.Now)
	})
}

func TestMemorySweep(t *testing.T) {
	clk := storetest.NewClock()
	m := session.NewMemory(clk.Now)
	ctx := context.Background()
	now := clk.Now()
	for i, ttl := range []time.Duration{time.Minute, time.Minute, time.Hour} {
		s := session.Session{ID: string(rune('a' + i)), Subject: "guest_x", Role: "GUEST_NEW", Created: now, Expires: now.Add(ttl), Cap: now.Add(ttl)}
		if err := m.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Sweep(); n != 0 {
		t.Fatalf("swept %d live sessions", n)
	}
	clk.Advance(time.Minute)
	if n := m.Sweep(); n != 2 {
		t.Fatalf("Sweep = %d, want 2", n)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d after sweep, want 1", m.Len())
	}
}
