package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/config"
	"github.com/tokensvc/tokensvc/internal/edge"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// edgeCmd runs the local CDN edge emulator: `tokensvc edge --root DIR` or
// `--origin URL`. Keys come from the same TOKENSVC_* variables as serve (in
// dev mode, the same generated keys), so an edge and a service started side
// by side agree.
func edgeCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("tokensvc edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	root := fs.String("root", "", "folder to serve (the CDN's origin bucket)")
	origin := fs.String("origin", "", "origin URL to proxy admitted requests to")
	format := fs.String("cdn", "", "format to enforce (default: the first of TOKENSVC_CDN)")
	public := fs.String("public-url", "", "scheme://host the CDN is reached at (default: TOKENSVC_CDN_BASE_URL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tokensvc edge: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if (*root == "") == (*origin == "") {
		return fail("give exactly one of --root and --origin")
	}
	// The flag is checked before any setup; the variable, which config
	// loads, after it.
	if *public != "" {
		if err := api.CheckBaseURL("--public-url", *public); err != nil {
			return fail("%v", err)
		}
	}
	cfg, err := config.Load()
	if err != nil {
		return fail("%v", err)
	}
	if cfg.Dev {
		if _, err := cfg.ApplyDev(); err != nil {
			return fail("dev mode: %v", err)
		}
	}
	signers, err := cfg.Signers()
	if err != nil {
		return fail("%v", err)
	}
	v, err := pickVerifier(signers, *format)
	if err != nil {
		return fail("%v", err)
	}
	o := edge.Options{Verifier: v, PublicURL: *public}
	if *public == "" {
		o.PublicURL = cfg.CDNBaseURL
		if err := api.CheckBaseURL("TOKENSVC_CDN_BASE_URL", o.PublicURL); err != nil {
			return fail("%v", err)
		}
	}
	if *root != "" {
		if st, err := os.Stat(*root); err != nil || !st.IsDir() {
			return fail("--root %s is not a folder", *root)
		}
		// os.Root, not os.DirFS: a symlink in the folder must not reach
		// files outside it.
		rt, err := os.OpenRoot(*root)
		if err != nil {
			return fail("--root %s: %v", *root, err)
		}
		defer rt.Close()
		o.Root = rt.FS()
	} else {
		u, err := url.Parse(*origin)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fail("--origin must be an http(s) URL")
		}
		o.Origin = u
	}
	log, stopLog, err := newLogger(cfg)
	if err != nil {
		return fail("%v", err)
	}
	defer stopLog()
	o.Log = log
	h, err := edge.New(o)
	if err != nil {
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("edge listening", zap.String("addr", ln.Addr().String()), zap.String("cdn", v.Format()), zap.String("public_url", o.PublicURL))
	return serveUntil(ctx, ln, h, log, 5*time.Second)
}

// pickVerifier returns the verifier of format, or of the first signer.
func pickVerifier(signers []signing.Signer, format string) (signing.Verifier, error) {
	for _, s := range signers {
		if format == "" || s.Format() == format {
			v, ok := s.(signing.Verifier)
			if !ok {
				return nil, fmt.Errorf("%s cannot verify", s.Format())
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("--cdn %s is not among TOKENSVC_CDN", format)
}

// serveUntil serves h on ln until ctx ends, then shuts down within grace.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler, log *zap.Logger, grace time.Duration) int {
	srv := &http.Server{
		Handler: h,
		// One deadline for the whole request, headers and body (bodies are a
		// few hundred bytes): when the two differ, net/http moves the read
		// deadline a second time on every request.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("serve", zap.Error(err))
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Duration("grace", grace))
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", zap.Error(err))
		return 1
	}
	return 0
}
