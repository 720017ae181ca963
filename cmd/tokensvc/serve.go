package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/config"
	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
)

// serve reads the configuration, builds the object graph, serves, and shuts
// down cleanly on SIGINT/SIGTERM. Every configuration problem is reported
// before a port is opened, and the exit code is 1.
func serve(args []string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "tokensvc serve takes no arguments: configure it with TOKENSVC_* variables (see README)\n")
		return 2
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "tokensvc: %v\n", err)
		return 1
	}
	var devNotes []string
	if cfg.Dev {
		if devNotes, err = cfg.ApplyDev(); err != nil {
			fmt.Fprintf(stderr, "tokensvc: dev mode: %v\n", err)
			return 1
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "tokensvc: invalid configuration:\n%v\n", indent(err))
		return 1
	}
	log, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tokensvc: logger: %v\n", err)
		return 1
	}
	defer log.Sync()
	if cfg.Dev {
		log.Warn("dev mode: generated keys and in-memory sessions; not for production",
			zap.String("dev_dir", cfg.DevDir), zap.Strings("generated", devNotes),
			zap.String("api_keys_file", cfg.APIKeysFile), zap.String("cdn_base_url", cfg.CDNBaseURL))
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	h, cleanup, err := build(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "tokensvc: invalid configuration:\n%v\n", indent(err))
		return 1
	}
	defer cleanup()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen", zap.Error(err))
		return 1
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Strings("cdn", cfg.CDN), zap.String("store", cfg.SessionStore))

	select {
	case err := <-errc:
		log.Error("serve", zap.Error(err))
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Duration("grace", cfg.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", zap.Error(err))
		return 1
	}
	return 0
}

// build wires the service from cfg.
func build(ctx context.Context, cfg *config.Config, log *zap.Logger) (http.Handler, func(), error) {
	cleanup := func() {}
	signers, err := cfg.Signers()
	if err != nil {
		return nil, cleanup, err
	}
	keys, err := cfg.APIKeyList()
	if err != nil {
		return nil, cleanup, err
	}
	sameSite, _ := config.ParseSameSite(cfg.CookieSameSite)
	proxies, _ := cfg.TrustedProxyPrefixes()
	pol, err := policy.New(policy.Lifetimes{GuestNew: cfg.GuestNewTTL, GuestOTP: cfg.GuestOTPTTL, LoggedIn: cfg.LoggedInTTL, LoggedInMax: cfg.LoggedInMax})
	if err != nil {
		return nil, cleanup, err
	}

	var store session.Store
	switch cfg.SessionStore {
	case "redis":
		o := session.RedisOptions{URL: string(cfg.RedisURL), Cluster: cfg.RedisCluster}
		c, err := session.NewRedisClient(o)
		if err != nil {
			return nil, cleanup, err
		}
		cleanup = func() { c.Close() }
		store = session.NewRedis(c, o, time.Now)
	default:
		m := session.NewMemory(time.Now)
		go m.RunSweeper(ctx, time.Minute)
		store = m
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := api.New(api.Deps{
		Log: log, Registry: reg, Policy: pol, Signers: signers,
		Store: store, StoreBackend: cfg.SessionStore, Now: time.Now,
		Options: api.Options{
			CDNBaseURL: cfg.CDNBaseURL,
			Cookie: api.CookieOptions{
				Domain: cfg.CookieDomain, Path: cfg.CookiePath, Secure: cfg.CookieSecure,
				HTTPOnly: cfg.CookieHTTPOnly, SameSite: sameSite,
				SessionName: cfg.SessionCookie, SessionMaxAge: cfg.SessionCookieAge,
			},
			APIKeys: keys, AllowedOrigins: cfg.AllowedOrigins, MaxBodyBytes: cfg.MaxBodyBytes,
			TrustedProxies: proxies,
		},
	})
	if err != nil {
		return nil, cleanup, err
	}
	return a, cleanup, nil
}

func newLogger(cfg *config.Config) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	if !cfg.LogJSON {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	zc.OutputPaths = []string{"stderr"}
	return zc.Build()
}

// indent prints a joined error one problem a line.
func indent(err error) string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		s := ""
		for _, e := range joined.Unwrap() {
			s += "  - " + e.Error() + "\n"
		}
		return s
	}
	return "  - " + err.Error() + "\n"
}
