// Package demoapp is example code for integrators: the app's side of a
// tokensvc deployment. It plays an app whose backend grants access through
// tokensvc's HTTP API (like any backend would, with an API key) and whose page
// shows private photos as plain <img> tags from the CDN, recovering from a
// 403 through tokensvc's /refresh.
//
// It is part of tokensvc's dev mode only (`go run ./cmd/tokensvc` with
// nothing configured): the page at /demo, the sample photos behind the local
// edge. Nothing in tokensvc depends on it; read it as a recipe.
package demoapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

//go:embed media
var media embed.FS

//go:embed page.html
var page []byte

// Media is the sample photo bucket the dev edge serves:
// /temp/guest_demo/p{1,2,3}.jpg and /registered/user_demo/p{1,2,3}.jpg.
func Media() fs.FS {
	sub, err := fs.Sub(media, "media")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// The demo's two subjects: the sample photos live under their prefixes.
const (
	GuestSubject = "guest_demo"
	UserSubject  = "user_demo"
)

// Options configure the demo app.
type Options struct {
	// TokensvcURL is where the app's backend reaches tokensvc's API.
	TokensvcURL string
	// APIToken is the backend's API key (a Bearer token).
	APIToken string
	// MediaURL is the CDN the page loads photos from.
	MediaURL string
	Log      *zap.Logger
	Client   *http.Client
	// Now is the clock of the OTP's expiry (default time.Now).
	Now func() time.Time
}

// App is the demo app's HTTP handler: the page at /demo and its backend
// under /demo/api/.
type App struct {
	o   Options
	mux *http.ServeMux

	mu  sync.Mutex
	otp struct {
		code    string
		expires time.Time
		misses  int // wrong guesses at code; maxOTPMisses spends it
	}
}

// New builds the app.
func New(o Options) *App {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &App{o: o, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /demo", a.page)
	a.mux.HandleFunc("GET /demo/{$}", a.page)
	a.mux.HandleFunc("POST /demo/api/upload", a.upload)
	a.mux.HandleFunc("POST /demo/api/login", a.login)
	a.mux.HandleFunc("POST /demo/api/otp/request", a.otpRequest)
	a.mux.HandleFunc("POST /demo/api/otp/verify", a.otpVerify)
	a.mux.HandleFunc("POST /demo/api/activity", a.activity)
	return a
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *App) page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' "+a.o.MediaURL+"; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'")
	w.Write(bytes.ReplaceAll(page, []byte("{{MEDIA_URL}}"), []byte(a.o.MediaURL)))
}

// photos lists the sample photos of a subject's prefix.
func (a *App) photos(prefix string) []string {
	var out []string
	for i := 1; i <= 3; i++ {
		out = append(out, fmt.Sprintf("%s%sp%d.jpg", a.o.MediaURL, prefix, i))
	}
	return out
}

// grant asks tokensvc for a grant, forwarding the browser's cookies (so a
// role change revokes the old session), and relays the Set-Cookie headers:
// this is the whole integration a backend needs.
func (a *App) grant(w http.ResponseWriter, r *http.Request, role, subject, prefix string) {
	body := fmt.Sprintf(`{"role":%q,"subject":%q}`, role, subject)
	resp, err := a.call(r, "/grants", body)
	if err != nil {
		a.o.Log.Error("demo: grant", zap.Error(err))
		http.Error(w, `{"error":"tokensvc unreachable"}`, http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var g struct {
		Role             string    `json:"role"`
		Rolling          bool      `json:"rolling"`
		SessionExpiresAt time.Time `json:"session_expires_at"`
		SessionCapAt     time.Time `json:"session_cap_at"`
	}
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&g) != nil {
		http.Error(w, `{"error":"grant refused"}`, http.StatusBadGateway)
		return
	}
	relayCookies(w, resp)
	writeJSON(w, map[string]any{
		"role": g.Role, "subject": subject, "rolling": g.Rolling,
		"session_expires_at": g.SessionExpiresAt, "session_cap_at": g.SessionCapAt,
		"photos": a.photos(prefix),
	})
}

// call POSTs to tokensvc as the backend, forwarding the browser's cookies.
func (a *App) call(r *http.Request, path, body string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.o.TokensvcURL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.o.APIToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c := r.Header.Get("Cookie"); c != "" {
		req.Header.Set("Cookie", c)
	}
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	// Read it all before the context ends.
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

func relayCookies(w http.ResponseWriter, resp *http.Response) {
	for _, c := range resp.Header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

// writeJSONStatus sets the headers, then the status: headers set after
// WriteHeader are lost.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// otpLifetime is how long a sent code works.
const otpLifetime = 5 * time.Minute

// maxOTPMisses is how many wrong guesses spend a code: a six-digit code
// must not be guessable by trying them all.
const maxOTPMisses = 5

// upload stands for "a guest just uploaded photos": scenario A.
func (a *App) upload(w http.ResponseWriter, r *http.Request) {
	a.grant(w, r, "GUEST_NEW", GuestSubject, "/temp/"+GuestSubject+"/")
}

// login stands for a successful sign-in: scenario C.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	a.grant(w, r, "LOGGED_IN", UserSubject, "/registered/"+UserSubject+"/")
}

// otpRequest "sends" a one-time password. In the demo it is shown on the
// page and logged, since there is no mail or SMS.
func (a *App) otpRequest(w http.ResponseWriter, r *http.Request) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		http.Error(w, `{"error":"no randomness"}`, http.StatusInternalServerError)
		return
	}
	code := fmt.Sprintf("%06d", n.Int64())
	a.mu.Lock()
	a.otp.code, a.otp.expires, a.otp.misses = code, a.o.Now().Add(otpLifetime), 0
	a.mu.Unlock()
	a.o.Log.Warn("demo: dev OTP for "+GuestSubject+" (shown because this is the demo)", zap.String("otp", code))
	writeJSON(w, map[string]string{"dev_otp": code})
}

// otpVerify checks the OTP and grants GUEST_OTP: scenario B.
func (a *App) otpVerify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OTP string `json:"otp"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1024)).Decode(&in); err != nil {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	ok := a.otp.code != "" && subtle.ConstantTimeCompare([]byte(in.OTP), []byte(a.otp.code)) == 1 && a.o.Now().Before(a.otp.expires)
	switch {
	case ok:
		a.otp.code = "" // one time
	case a.otp.code != "":
		if a.otp.misses++; a.otp.misses >= maxOTPMisses {
			a.otp.code = "" // spent: ask for a new one
		}
	}
	a.mu.Unlock()
	if !ok {
		writeJSONStatus(w, http.StatusForbidden, map[string]string{"error": "wrong or expired OTP"})
		return
	}
	a.grant(w, r, "GUEST_OTP", GuestSubject, "/temp/"+GuestSubject+"/")
}

// activity stands for any user API call the backend proxies: it asks
// tokensvc to touch the session (rolling refresh) and relays new cookies
// when some were due.
func (a *App) activity(w http.ResponseWriter, r *http.Request) {
	resp, err := a.call(r, "/sessions/touch", "")
	if err != nil {
		http.Error(w, `{"error":"tokensvc unreachable"}`, http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	relayCookies(w, resp)
	switch resp.StatusCode {
	case http.StatusOK:
		writeJSON(w, map[string]any{"renewed": true})
	case http.StatusNoContent:
		writeJSON(w, map[string]any{"renewed": false})
	default:
		var p struct {
			Code string `json:"code"`
		}
		json.NewDecoder(resp.Body).Decode(&p)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": p.Code})
	}
}
