package cli

import (
	"fmt"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// sign runs `tokensvc sign KIND`. Each kind's flags and signing live in its
// format's file (cloudcdn.go, akamai.go, cloudfront.go, gotipath.go).
func (e *env) sign(kind string, args []string) error {
	switch kind {
	case "cloudcdn-cookie":
		return e.signCloudCDNCookie(args)
	case "cloudcdn-url":
		return e.signCloudCDNURL(args)
	case "akamai":
		return e.signAkamai(args)
	case "cloudfront-cookie":
		return e.signCloudFront(args, true)
	case "cloudfront-url":
		return e.signCloudFront(args, false)
	case "gotipath":
		return e.signGotipath(args)
	}
	return fmt.Errorf("unknown kind %q", kind)
}

// printCookies writes one "Set-Cookie: NAME=VALUE" line per cookie, in the
// signer's order. Values are already in their on-the-wire form (see
// signing.Cookie), so they are written as they are; the deployment adds the
// attributes (Domain, Path, Secure...).
func (e *env) printCookies(cookies []signing.Cookie) error {
	for _, c := range cookies {
		if _, err := fmt.Fprintf(e.stdout, "Set-Cookie: %s=%s\n", c.Name, c.Value); err != nil {
			return err
		}
	}
	return nil
}

// printLine writes a signed URL (or signed parameters) alone on one line.
func (e *env) printLine(s string) error {
	_, err := fmt.Fprintln(e.stdout, s)
	return err
}

// requireOne returns the single value of a key flag that sign takes once
// (verify takes it repeatedly, for key rotation).
func requireOne(name string, l stringList) (string, error) {
	switch len(l) {
	case 0:
		return "", fmt.Errorf("--%s is required", name)
	case 1:
		return l[0], nil
	}
	return "", fmt.Errorf("sign takes one --%s (verify takes several, for key rotation)", name)
}
