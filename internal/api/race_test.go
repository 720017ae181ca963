package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
				resp := h.do(h.backendFor(b, http.MethodPost, "/sessions/touch"))
				resp.Body.Close()
				return resp.StatusCode
			}
			// within bounds a wait, so a broken store or handler fails the
			// test instead of hanging it.
			within := func(what string, c <-chan struct{}) {
				t.Helper()
				select {
				case <-c:
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: nothing after 10 s", what)
				}
			}

			h.clk.Advance(time.Hour - time.Second)
			held.arm()
			// The held touch runs off the test goroutine: it only serves,
			// and the test checks its answer (the contract check included)
			// here.
			req := h.backendFor(b, http.MethodPost, "/sessions/touch")
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.api.ServeHTTP(rec, req)
			}()
			within("the touch's store write", held.entered)
			h.clk.Advance(time.Second) // half-life: the refresh re-signs
			resp := h.browserPost(b, "/refresh")
			close(held.release)
			within("the held touch", done)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh at half-life: %d %s", resp.StatusCode, readBody(resp))
			}
			touched := rec.Result()
			checkContract(t, req, touched)
			if touched.StatusCode != http.StatusNoContent {
				t.Fatalf("the held touch: %d", touched.StatusCode)
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
