// Command floor is the benchmark's floor: the least a Go HTTP server can do
// per request while still answering like tokensvc does, with one fixed
// Set-Cookie header. Every tokensvc case in bench/ is read against it,
// measured in the same run, on the same core, with the same load generator.
//
//	floor -addr 127.0.0.1:0 -ready FILE
//
// It listens on -addr, writes the address it got to -ready (so the harness
// can pick port 0 and still find it), and serves until SIGINT or SIGTERM.
package main

import (
	"context"
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
	flag.Parse()
	if err := run(*addr, *ready); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(addr, ready string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Drain the body as a real handler decoding JSON would.
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Set-Cookie", cookie)
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
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
