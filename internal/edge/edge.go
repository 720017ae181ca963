// Package edge is a small CDN edge emulator for development and tests: it
// admits a request only when the configured format's signed cookies (or
// signed URL) verify for that exact URL, as the real CDN's edge does, and
// then serves a folder or proxies to an origin. It shares the verifiers of
// package signing; it is not a second implementation of any format.
package edge

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// Options configure an edge.
type Options struct {
	// Verifier is the format the emulated CDN enforces.
	Verifier signing.Verifier
	// PublicURL is the scheme and host the CDN is reached at, as the signed
	// cookies name it (TOKENSVC_CDN_BASE_URL). The URL checked is PublicURL
	// plus the request's path and query exactly as sent.
	PublicURL string
	// Exactly one of Root (a folder) and Origin (a URL to proxy to).
	Root   fs.FS
	Origin *url.URL
	Now    func() time.Time
	Log    *zap.Logger
}

type edge struct {
	o     Options
	base  string
	files http.Handler
	proxy *httputil.ReverseProxy
}

// New checks o and builds the edge handler.
func New(o Options) (http.Handler, error) {
	if o.Verifier == nil {
		return nil, errors.New("edge: no verifier")
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("edge: public URL %q must be scheme://host", o.PublicURL)
	}
	if (o.Root == nil) == (o.Origin == nil) {
		return nil, errors.New("edge: give exactly one of a root folder and an origin")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	e := &edge{o: o, base: strings.TrimSuffix(o.PublicURL, "/")}
	if o.Root != nil {
		e.files = http.FileServerFS(noDirs{o.Root})
	} else {
		// Rewrite, not a Director: the origin gets its own Host, and the
		// client's forwarding headers (X-Forwarded-*, X-Original-URL,
		// X-Real-IP) are replaced, not passed on or appended to: an origin
		// that picks a site by Host, or trusts those headers, must not take
		// them from the viewer.
		origin := o.Origin
		// ReverseProxy itself drops Forwarded and X-Forwarded-* before
		// Rewrite, and SetURL leaves Host to the origin's; the headers it
		// does not know are dropped here.
		e.proxy = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(origin)
			for _, h := range []string{"X-Original-Url", "X-Original-Uri", "X-Real-Ip"} {
				pr.Out.Header.Del(h)
			}
			pr.SetXForwarded()
		}}
	}
	return e, nil
}

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		// An absolute-form request target: keep its path and query.
		target = r.URL.RequestURI()
	}
	req := &signing.Request{
		URL:      e.base + target,
		Cookies:  signing.ParseCookieHeader(strings.Join(r.Header.Values("Cookie"), "; ")),
		ClientIP: peer(r),
	}
	if err := e.o.Verifier.Verify(req, e.o.Now()); err != nil {
		reason := signing.ReasonOf(err)
		e.o.Log.Debug("edge denied", zap.String("path", r.URL.Path), zap.String("reason", string(reason)))
		// The CDNs answer a missing or bad credential with 403, never
		// cacheable (reference/003).
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Tokensvc-Reason", string(reason))
		http.Error(w, "403 forbidden: "+string(reason), http.StatusForbidden)
		return
	}
	// Admitted: the browser may keep the bytes but must come back to the
	// edge (and so past the cookie check) before reusing them.
	w.Header().Set("Cache-Control", "private, no-cache")
	if e.proxy != nil {
		e.proxy.ServeHTTP(w, r)
		return
	}
	e.files.ServeHTTP(w, r)
}

func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// noDirs hides directories, so the edge never lists a folder.
type noDirs struct{ fs.FS }

func (n noDirs) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}
