package cli

import (
	"errors"
	"fmt"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// cookieRule says how a kind takes its credential in verify.
type cookieRule int

const (
	cookieRequired  cookieRule = iota // a cookie kind: --cookie carries it
	cookieForbidden                   // a URL kind: the signed URL is --url
	cookieOptional                    // Akamai: a cookie or a query parameter
)

// verify runs `tokensvc verify KIND` and returns 0 (valid) or 1 (invalid).
// The format's file registers its key flags (the same as its sign takes, but
// repeatable for key rotation) and builds the verifier; this function owns
// the request flags every kind shares.
func (e *env) verify(kind string, args []string) (int, error) {
	fs := e.newFlagSet("tokensvc verify "+kind,
		"Checks a credential the way the CDN edge does; prints \"valid\" (exit 0) or \"invalid: REASON\" (exit 1).")
	url := fs.String("url", "", "the request `URL`, absolute, as sent on the wire (for signed URLs: the signed URL)")
	cookie := fs.String("cookie", "", "the Cookie request header `value`, e.g. 'a=1; b=2'")
	at := fs.String("at", "", "check at this time, Unix `seconds` (default: now)")
	clientIP := fs.String("client-ip", "", "the viewer's `IP` address, for IP-bound credentials")

	var build func() (signing.Verifier, error)
	rule := cookieRequired
	switch kind {
	case "cloudcdn-cookie", "cloudcdn-url":
		k := registerCloudCDNKeys(fs, true)
		build = func() (signing.Verifier, error) { return k.build(true) }
	case "akamai":
		o := registerAkamaiOptions(fs, true)
		build = func() (signing.Verifier, error) { return o.build(true) }
		rule = cookieOptional
	case "cloudfront-cookie", "cloudfront-url":
		k := registerCloudFrontKeys(fs, true)
		build = func() (signing.Verifier, error) { return k.verifier() }
	case "gotipath":
		k := registerGotipathKeys(fs, true)
		build = func() (signing.Verifier, error) { return k.build(true) }
	default:
		return 0, fmt.Errorf("unknown kind %q", kind)
	}
	if kind == "cloudcdn-url" || kind == "cloudfront-url" {
		rule = cookieForbidden
	}
	if err := e.parse(fs, args); err != nil {
		return 0, err
	}

	if *url == "" {
		return 0, errors.New("--url is required")
	}
	switch hasCookie := isSet(fs, "cookie"); {
	case rule == cookieRequired && !hasCookie:
		return 0, errors.New("--cookie is required (the Cookie header value the browser sends)")
	case rule == cookieForbidden && hasCookie:
		return 0, errors.New("--cookie does not apply: the signed URL goes in --url")
	}
	now := e.now()
	if *at != "" {
		t, err := parseUnix("at", *at)
		if err != nil {
			return 0, err
		}
		now = t
	}
	ip, err := parseClientIP(*clientIP)
	if err != nil {
		return 0, err
	}
	v, err := build()
	if err != nil {
		return 0, err
	}
	req := &signing.Request{URL: *url, Cookies: signing.ParseCookieHeader(*cookie), ClientIP: ip}
	if err := v.Verify(req, now); err != nil {
		// A Reason carries no detail on purpose (signing.Reason), so the
		// output never echoes a signature or a key.
		_, werr := fmt.Fprintf(e.stdout, "invalid: %s\n", string(signing.ReasonOf(err)))
		return 1, werr
	}
	_, err = fmt.Fprintln(e.stdout, "valid")
	return 0, err
}
