package session_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
)

// BenchmarkMemoryStoreFootprint fills the memory store with one million
// live sessions shaped like tokensvc's (a 45-byte session cookie value, a
// subject of 13 bytes) and reports the heap they hold, per session. Target:
// at most 256 bytes a session.
func BenchmarkMemoryStoreFootprint(b *testing.B) {
	const n = 1_000_000
	ids := make([]string, n)
	raw := make([]byte, 32)
	for i := range ids {
		rand.Read(raw)
		ids[i] = "u." + base64.RawURLEncoding.EncodeToString(raw)
	}
	clk := storetest.NewClock()
	now := clk.Now()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		m := session.NewMemory(clk.Now)
		for i := 0; i < n; i++ {
			// The subject is a fresh string, as decoding a request makes
			// one, so the heap it takes counts.
			err := m.Put(ctx, session.Session{
				ID: ids[i], Subject: fmt.Sprintf("user_%08d", i), Role: "LOGGED_IN",
				Created: now, Expires: now.Add(2 * time.Hour), Cap: now.Add(12 * time.Hour),
				Issued: now, CookiesExpire: now.Add(2 * time.Hour),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		// Everything the store keeps alive: the map (ids are kept as their
		// hashes) and the subject strings. The ids themselves were made
		// before and are not the store's.
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/session")
		if m.Len() != n {
			b.Fatalf("Len = %d", m.Len())
		}
		runtime.KeepAlive(m)
		b.StartTimer()
	}
}
