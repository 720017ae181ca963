package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
)

// heldStore holds the first Extend after arm, until release: a slow store
// write, to interleave two requests of one session.
type heldStore struct {
	session.Store
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (h *heldStore) arm() {
	h.mu.Lock()
	h.armed = true
	h.mu.Unlock()
}

func (h *heldStore) Extend(ctx context.Context, id string, u session.Update) error {
	h.mu.Lock()
	hold := h.armed
	h.armed = false
	h.mu.Unlock()
	if hold {
		close(h.entered)
		<-h.release
	}
	return h.Store.Extend(ctx, id, u)
}

// TestSlideRacingAResign: a backend's touch reads a LOGGED_IN session just
// before half-life and slides it, slowly; meanwhile the browser's refresh
// re-signs. The slide used to write back the cookie times it had read,
// leaving the re-sign due in the store while the issuer's cache called it
// fresh: from then on nothing slid the session, and an active user was
// logged out up to an hour early (found by a review). Every touch after the
// race must slide it, and it must live 2 h from the last activity.
func TestSlideRacingAResign(t *testing.T) {
	for _, base := range stores(t) {
		t.Run(base.name, func(t *testing.T) {
			var held *heldStore
			sk := storeKind{base.name, func(t *testing.T, clk *storetest.Clock) session.Store {
				held = &heldStore{Store: base.new(t, clk), entered: make(chan struct{}), release: make(chan struct{})}
				return held
			}}
			h := newHarness(t, sk, []string{"cloudcdn"})
			b := newBrowser()
			t0 := h.clk.Now()
			h.grant(b, "LOGGED_IN", "user_42")
			touch := func() int {
				req := h.backendReq(http.MethodPost, "/sessions/touch", "")
				req.Header.Set("Cookie", b.header())
				resp := h.do(req)
				resp.Body.Close()
				return resp.StatusCode
			}

			h.clk.Advance(time.Hour - time.Second)
			held.arm()
			done := make(chan int)
			go func() { done <- touch() }()
			<-held.entered
			h.clk.Advance(time.Second) // half-life: the refresh re-signs
			if resp := h.browserPost(b, "/refresh"); resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh at half-life: %d %s", resp.StatusCode, readBody(resp))
			}
			close(held.release)
			if code := <-done; code != http.StatusNoContent {
				t.Fatalf("the held touch: %d", code)
			}

			// The user stays active; nothing is due until the new cookies'
			// half-life, so each touch is a 204 that slides the session.
			for _, at := range []time.Duration{90 * time.Minute, 119 * time.Minute} {
				h.clk.Advance(at - h.clk.Now().Sub(t0))
				if code := touch(); code != http.StatusNoContent {
					t.Errorf("touch at +%v: %d, want 204 (nothing due)", at, code)
				}
			}
			// 2 h from the last activity (+1h59) is +3h59.
			h.clk.Advance(3*time.Hour + 50*time.Minute - h.clk.Now().Sub(t0))
			if resp := h.browserPost(b, "/refresh"); resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh at +3h50, 1h51 after the last activity: %d %s", resp.StatusCode, readBody(resp))
			}
		})
	}
}
