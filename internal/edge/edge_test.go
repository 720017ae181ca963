package edge

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func signer(t *testing.T, format string) signing.Signer {
	t.Helper()
	var s signing.Signer
	var err error
	switch format {
	case "cloudcdn":
		kf, _ := signing.GenerateCloudCDNKey(rand.Reader)
		k, _ := signing.ParseCloudCDNKeyFile(kf)
		s, err = signing.NewCloudCDN(signing.CloudCDNKey{Name: "k", Key: k})
	case "akamai":
		kf, _ := signing.GenerateAkamaiKey(rand.Reader)
		k, _ := signing.ParseAkamaiKey(kf)
		s, err = signing.NewAkamai(signing.AkamaiOptions{}, k)
	case "cloudfront":
		kf, _ := signing.GenerateCloudFrontKey(rand.Reader, true)
		k, _ := signing.ParseCloudFrontPrivateKey(kf)
		s, err = signing.NewCloudFront("SHA256", signing.CloudFrontKey{ID: "KEDGE", Signer: k})
	case "gotipath":
		kf, _ := signing.GenerateGotipathSecret(rand.Reader)
		k, _ := signing.ParseGotipathSecret(kf)
		s, err = signing.NewGotipath(k)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var media = fstest.MapFS{
	"temp/guest_a/p1.jpg": {Data: []byte("a's photo")},
	"temp/guest_b/p1.jpg": {Data: []byte("b's photo")},
}

func TestEdge(t *testing.T) {
	for _, format := range []string{"cloudcdn", "akamai", "cloudfront", "gotipath"} {
		t.Run(format, func(t *testing.T) {
			s := signer(t, format)
			now := t0
			h, err := New(Options{Verifier: s.(signing.Verifier), PublicURL: "http://127.0.0.1:8081", Root: media, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			cookies, err := s.Sign(signing.Grant{URLPrefix: "http://127.0.0.1:8081/temp/guest_a/", Expires: t0.Add(20 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, c := range cookies {
				parts = append(parts, c.Name+"="+c.Value)
			}
			header := strings.Join(parts, "; ")
			get := func(method, path, cookie string) (*http.Response, string) {
				req := httptest.NewRequest(method, "http://127.0.0.1:8081"+path, nil)
				req.RequestURI = path
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				b, _ := io.ReadAll(rec.Result().Body)
				return rec.Result(), string(b)
			}
			tests := []struct {
				name, method, path, cookie string
				status                     int
				reason                     string
			}{
				{"200/granted", "GET", "/temp/guest_a/p1.jpg", header, 200, ""},
				{"200/granted with a query", "GET", "/temp/guest_a/p1.jpg?v=2", header, 200, ""},
				{"403/no cookie", "GET", "/temp/guest_a/p1.jpg", "", 403, "missing"},
				{"403/other subject", "GET", "/temp/guest_b/p1.jpg", header, 403, "scope_mismatch"},
				{"403/other subject by traversal", "GET", "/temp/guest_a/../guest_b/p1.jpg", header, 403, ""},
				{"404/granted folder is not listed", "GET", "/temp/guest_a/", header, 404, ""},
				{"405/post", "POST", "/temp/guest_a/p1.jpg", header, 405, ""},
			}
			for _, tt := range tests {
				resp, body := get(tt.method, tt.path, tt.cookie)
				if resp.StatusCode != tt.status {
					t.Errorf("%s: %d %q", tt.name, resp.StatusCode, body)
					continue
				}
				if tt.status == 200 && (body != "a's photo" || resp.Header.Get("Cache-Control") != "private, no-cache") {
					t.Errorf("%s: body %q, Cache-Control %q", tt.name, body, resp.Header.Get("Cache-Control"))
				}
				if tt.status == 403 {
					if resp.Header.Get("Cache-Control") != "no-store" {
						t.Errorf("%s: a cacheable 403", tt.name)
					}
					if tt.reason != "" && resp.Header.Get("X-Tokensvc-Reason") != tt.reason {
						t.Errorf("%s: reason %q, want %q", tt.name, resp.Header.Get("X-Tokensvc-Reason"), tt.reason)
					}
				}
			}
			now = t0.Add(20 * time.Minute)
			if resp, _ := get("GET", "/temp/guest_a/p1.jpg", header); resp.StatusCode != 403 || resp.Header.Get("X-Tokensvc-Reason") != "expired" {
				t.Errorf("after expiry: %d %q", resp.StatusCode, resp.Header.Get("X-Tokensvc-Reason"))
			}
		})
	}
}

// TestEdgeSignedURL: a signed URL admits without any cookie.
func TestEdgeSignedURL(t *testing.T) {
	s := signer(t, "cloudcdn").(*signing.CloudCDN)
	h, _ := New(Options{Verifier: s, PublicURL: "http://127.0.0.1:8081", Root: media, Now: func() time.Time { return t0 }})
	signed, err := s.SignURL("http://127.0.0.1:8081/temp/guest_b/p1.jpg", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	req := httptest.NewRequest("GET", signed, nil)
	req.RequestURI = u.RequestURI()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "b's photo" {
		t.Fatalf("signed URL: %d %q", rec.Code, rec.Body.String())
	}
}

func TestEdgeOriginProxy(t *testing.T) {
	var got http.Header
	var gotHost string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotHost = r.Header.Clone(), r.Host
		io.WriteString(w, "origin "+r.URL.Path)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	s := signer(t, "akamai")
	h, err := New(Options{Verifier: s.(signing.Verifier), PublicURL: "https://cdn.site.com", Origin: u, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	cookies, _ := s.Sign(signing.Grant{URLPrefix: "https://cdn.site.com/registered/user_1/", Expires: t0.Add(time.Hour)})
	req := httptest.NewRequest("GET", "http://edge/registered/user_1/x.jpg", nil)
	req.RequestURI = "/registered/user_1/x.jpg"
	req.Header.Set("Cookie", cookies[0].Name+"="+cookies[0].Value)
	// What a viewer may add: none of it reaches the origin as sent.
	req.Host = "internal.admin"
	req.Header.Set("X-Forwarded-Host", "evil")
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Original-URL", "http://evil/x")
	req.Header.Set("X-Real-IP", "6.6.6.6")
	req.Header.Set("Forwarded", "for=6.6.6.6;host=evil")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "origin /registered/user_1/x.jpg" {
		t.Fatalf("proxy: %d %q", rec.Code, rec.Body.String())
	}
	if gotHost != u.Host {
		t.Errorf("the origin got Host %q, want its own %q", gotHost, u.Host)
	}
	for _, h := range []string{"X-Original-Url", "X-Real-Ip", "Forwarded"} {
		if v := got.Get(h); v != "" {
			t.Errorf("the origin got the viewer's %s: %q", h, v)
		}
	}
	if v := got.Get("X-Forwarded-Host"); v == "evil" {
		t.Errorf("the origin got the viewer's X-Forwarded-Host")
	}
	if v := got.Get("X-Forwarded-For"); strings.Contains(v, "6.6.6.6") {
		t.Errorf("the origin got the viewer's X-Forwarded-For: %q", v)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	s := signer(t, "cloudcdn").(signing.Verifier)
	for _, o := range []Options{
		{PublicURL: "http://x", Root: media},
		{Verifier: s, PublicURL: "x", Root: media},
		{Verifier: s, PublicURL: "http://x"},
		{Verifier: s, PublicURL: "http://x", Root: media, Origin: &url.URL{Scheme: "http", Host: "y"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
