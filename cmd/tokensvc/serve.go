package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tokensvc/tokensvc/examples/demoapp"
	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/config"
	"github.com/tokensvc/tokensvc/internal/edge"
	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// serve reads the configuration, builds the object graph, serves, and shuts
// down cleanly on SIGINT/SIGTERM. Every configuration problem is reported
// before a port is opened, and the exit code is 1.
//
// In dev mode it also starts the local CDN edge over the demo photos and
// mounts the demo app at /demo, so `go run ./cmd/tokensvc` shows the whole
// flow with nothing configured.
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
		fmt.Fprintf(stderr, "tokensvc: invalid configuration:\n%v", indent(err))
		if _, set := os.LookupEnv("TOKENSVC_DEV"); !cfg.Dev && !set {
			// Most often a newcomer who only moved the port.
			fmt.Fprintln(stderr, "tokensvc: any TOKENSVC_* setting turns dev mode off; to try it with generated keys and in-memory sessions, add TOKENSVC_DEV=true")
		}
		return 1
	}
	log, stopLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tokensvc: logger: %v\n", err)
		return 1
	}
	defer stopLog()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, signers, cleanup, err := build(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "tokensvc: invalid configuration:\n%v", indent(err))
		return 1
	}
	defer cleanup()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen", zap.Error(err))
		return 1
	}
	var h http.Handler = a
	if cfg.Dev {
		h, err = startDev(ctx, cfg, log, a, signers, ln.Addr().String(), devNotes)
		if err != nil {
			log.Error("dev mode", zap.Error(err))
			return 1
		}
	}
	log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Strings("cdn", cfg.CDN), zap.String("store", cfg.SessionStore))
	return serveUntil(ctx, ln, h, log, cfg.ShutdownGrace)
}

// startDev starts the dev edge over the demo photos and mounts the demo app
// in front of the API.
func startDev(ctx context.Context, cfg *config.Config, log *zap.Logger, a http.Handler, signers []signing.Signer, apiAddr string, notes []string) (http.Handler, error) {
	token, err := cfg.DevAPIToken()
	if err != nil {
		return nil, err
	}
	v, ok := signers[0].(signing.Verifier)
	if !ok {
		return nil, errors.New("the first format cannot verify")
	}
	eh, err := edge.New(edge.Options{Verifier: v, PublicURL: cfg.CDNBaseURL, Root: demoapp.Media(), Log: log.Named("edge")})
	if err != nil {
		return nil, err
	}
	eln, err := net.Listen("tcp", cfg.DevEdge)
	if err != nil {
		return nil, fmt.Errorf("dev edge: %w", err)
	}
	go serveUntil(ctx, eln, eh, log.Named("edge"), time.Second)

	demo := demoapp.New(demoapp.Options{
		TokensvcURL: "http://" + apiAddr, APIToken: token, MediaURL: cfg.CDNBaseURL, Log: log.Named("demo"),
	})
	page := onEdgeHost(demo, cfg.CDNBaseURL, apiAddr)
	mux := http.NewServeMux()
	mux.Handle("/demo", page)
	mux.Handle("/demo/", page)
	mux.Handle("/", a)
	log.Warn("dev mode: generated keys and in-memory sessions; not for production",
		zap.String("dev_dir", cfg.DevDir), zap.Strings("generated", notes),
		zap.String("api_keys_file", cfg.APIKeysFile),
		zap.String("demo", "http://"+apiAddr+"/demo"),
		zap.String("edge", "http://"+eln.Addr().String()+" ("+v.Format()+")"))
	return mux, nil
}

// onEdgeHost sends a demo page opened at localhost to the same listener
// under the dev edge's host (127.0.0.1). The page's cookies are host-only:
// set for localhost, the browser would never send them to the edge at
// 127.0.0.1, and no photo would load. It redirects only where the API's own
// listener (listenAddr) is at the edge's host, so the target always
// answers; the Host header's port is never used.
func onEdgeHost(h http.Handler, cdnBaseURL, listenAddr string) http.Handler {
	u, err := url.Parse(cdnBaseURL)
	lhost, lport, lerr := net.SplitHostPort(listenAddr)
	if err != nil || lerr != nil || lhost != u.Hostname() || lhost == "localhost" {
		return h
	}
	target := "http://" + net.JoinHostPort(lhost, lport)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		if !strings.EqualFold(host, "localhost") {
			h.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
}

// build wires the service from cfg.
func build(ctx context.Context, cfg *config.Config, log *zap.Logger) (http.Handler, []signing.Signer, func(), error) {
	cleanup := func() {}
	// Both read files: report every unreadable one at once.
	signers, serr := cfg.Signers()
	keys, kerr := cfg.APIKeyList()
	if err := errors.Join(serr, kerr); err != nil {
		return nil, nil, cleanup, err
	}
	sameSite, _ := config.ParseSameSite(cfg.CookieSameSite)
	proxies, _ := cfg.TrustedProxyPrefixes()
	pol, err := policy.New(policy.Lifetimes{GuestNew: cfg.GuestNewTTL, GuestOTP: cfg.GuestOTPTTL, LoggedIn: cfg.LoggedInTTL, LoggedInMax: cfg.LoggedInMax})
	if err != nil {
		return nil, nil, cleanup, err
	}

	var store session.Store
	switch cfg.SessionStore {
	case "redis":
		o := session.RedisOptions{URL: string(cfg.RedisURL), Cluster: cfg.RedisCluster, AutoPipeline: cfg.RedisAutoPipeline, FlushDelay: cfg.RedisFlushDelay, Timeout: cfg.RedisTimeout}
		c, err := session.NewRedisClient(o)
		if err != nil {
			return nil, nil, cleanup, err
		}
		cleanup = func() { c.Close() }
		if store, err = session.NewRedis(c, o, time.Now); err != nil {
			return nil, nil, cleanup, err
		}
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
				SessionPath: cfg.SessionCookiePath, SessionHostOnly: cfg.SessionCookieHostOnly,
			},
			APIKeys: keys, APIKeyRate: cfg.APIKeyRate, APIKeyBurst: cfg.APIKeyBurst,
			AllowedOrigins: cfg.AllowedOrigins, MaxBodyBytes: cfg.MaxBodyBytes,
			TrustedProxies: proxies, MetricsElsewhere: cfg.MetricsAddr != "",
		},
	})
	if err != nil {
		cleanup()
		return nil, nil, func() {}, err
	}
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			cleanup()
			return nil, nil, func() {}, fmt.Errorf("metrics listener: %w", err)
		}
		go serveUntil(ctx, ln, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), log.Named("metrics"), time.Second)
	}
	return a, signers, cleanup, nil
}

// newLogger builds the JSON (or console) logger. Its output is buffered
// (TOKENSVC_LOG_BUFFER bytes, flushed at least every second and by the
// returned stop): one write(2) per access-log line was a tenth of a grant's
// CPU on one core.
func newLogger(cfg *config.Config) (*zap.Logger, func(), error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, nil, err
	}
	ec := zap.NewProductionEncoderConfig()
	enc := zapcore.NewJSONEncoder(ec)
	if !cfg.LogJSON {
		enc = zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	}
	var ws zapcore.WriteSyncer = zapcore.Lock(os.Stderr)
	stop := func() { _ = ws.Sync() }
	if cfg.LogBuffer > 0 {
		b := &zapcore.BufferedWriteSyncer{WS: ws, Size: cfg.LogBuffer, FlushInterval: time.Second}
		ws, stop = b, func() { _ = b.Stop() }
	}
	log := zap.New(zapcore.NewCore(enc, ws, level), zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr)))
	return log, stop, nil
}

// indent prints a joined error one problem a line.
func indent(err error) string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		s := ""
		for _, e := range joined.Unwrap() {
			if _, nested := e.(interface{ Unwrap() []error }); nested {
				s += indent(e)
				continue
			}
			s += "  - " + e.Error() + "\n"
		}
		return s
	}
	return "  - " + err.Error() + "\n"
}
