// Command floor is the benchmark's floor: the least a Go HTTP server can do
// per request while still answering like tokensvc does, with one fixed
// Set-Cookie header. Every tokensvc case in bench/ is read against it,
// measured in the same run, on the same core, with the same load generator.
//
//	floor -addr 127.0.0.1:0 -ready FILE
//
// It listens on -addr, writes the address it got to -ready (so the harness
// can pick port 0 and still find it), and serves until SIGINT or SIGTERM.
//
// With -replay FILE it answers instead with the status, headers and body in
// FILE, a JSON object {"status": 201, "header": {...}, "body": "..."} that
// the harness captured from a real tokensvc answer: what net/http and the
// kernel cost for exactly the bytes tokensvc sends, with none of its work.
//
// With -chi KEYFILE it is instead a plain chi service that grants a Cloud
// CDN cookie with no store, log or metrics (chi.go): the reference
// point, measured in the same run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// cookie is about the size of a Cloud CDN cookie with its attributes, so the
// floor writes as many response bytes as a real grant's first cookie.
const cookie = "Cloud-CDN-Cookie=URLPrefix=aHR0cHM6Ly9jZG4uZXhhbXBsZS5jb20vdGVtcC9ndWVzdF9iZW5jaC8=:Expires=1798000000:KeyName=bench:Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=; Path=/; Max-Age=1200; HttpOnly; SameSite=Lax"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address` (loopback only)")
	ready := flag.String("ready", "", "write the address listened on to this `file` once serving")
	replay := flag.String("replay", "", "answer with the status, headers and body in this JSON `file` instead of one fixed Set-Cookie")
	chiKey := flag.String("chi", "", "serve POST /grants as a plain chi handler with no store, signing with the Cloud CDN key in this `file` (token in FLOOR_API_TOKEN)")
	cdnBase := flag.String("cdn-base", "https://cdn.example.com", "CDN base URL of the -chi handler's signed prefix")
	flag.Parse()
	var h http.Handler
	var err error
	if *chiKey != "" {
		h, err = chiHandler(*chiKey, *cdnBase)
	} else {
		h, err = handler(*replay)
	}
	if err == nil {
		err = run(*addr, *ready, h, *replay != "" || *chiKey != "")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// recorded is an answer to replay.
type recorded struct {
	Status int                 `json:"status"`
	Header map[string][]string `json:"header"`
	Body   string              `json:"body"`
}

// handler is the fixed Set-Cookie answer, or the answer recorded in file.
func handler(file string) (http.Handler, error) {
	if file == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Drain the body as a real handler decoding JSON would.
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Set-Cookie", cookie)
			w.WriteHeader(http.StatusNoContent)
		}), nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rec recorded
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if rec.Status < 200 || rec.Status > 599 {
		return nil, fmt.Errorf("%s: status %d", file, rec.Status)
	}
	delete(rec.Header, "Date") // net/http writes its own
	body := []byte(rec.Body)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		for k, v := range rec.Header {
			h[k] = v
		}
		w.WriteHeader(rec.Status)
		_, _ = w.Write(body)
	}), nil
}

// run serves h. A replay (and the chi handler) also takes tokensvc's server timeouts (one read
// deadline for the whole request, a write deadline), so that the only
// difference left is tokensvc's own work.
func run(addr, ready string, h http.Handler, likeTokensvc bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if likeTokensvc {
		srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second, 30*time.Second
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != "" {
		if err := os.WriteFile(ready, []byte(ln.Addr().String()), 0o600); err != nil {
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
