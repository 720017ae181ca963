package api

import (
	"context"
	"net/http"
	"time"
)

// healthz says the process is up; it checks nothing else, so a store outage
// never gets a healthy replica restarted.
func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type readyResponse struct {
	Status string   `json:"status"`
	Store  string   `json:"store"`
	CDN    []string `json:"cdn"`
}

// readyz says whether this replica can serve: the store answers and the
// signing keys are loaded (New refuses to build an API without them).
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.render(w, r, errStoreUnavailable())
		return
	}
	writeJSON(w, http.StatusOK, readyResponse{Status: "ready", Store: a.storeBackend, CDN: a.formats()})
}
