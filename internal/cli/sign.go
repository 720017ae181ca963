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
//
// A value that is not cookie-octets (RFC 6265 4.1.1: no control byte,
// space, quote, comma, semicolon, backslash or non-ASCII) is refused rather
// than printed: a newline in an ACL or payload would print a second header
// line, one a script could pass on as a header of its own.
func (e *env) printCookies(cookies []signing.Cookie) error {
	for _, c := range cookies {
		for i := 0; i < len(c.Value); i++ {
			if b := c.Value[i]; b <= ' ' || b >= 0x7f || b == '"' || b == ',' || b == ';' || b == '\\' {
				return fmt.Errorf("the %s value would hold byte 0x%02x, which a cookie cannot carry: check the ACL, session id and payload (or use --escape-early)", c.Name, b)
			}
		}
		if _, err := fmt.Fprintf(e.stdout, "Set-Cookie: %s=%s\n", c.Name, c.Value); err != nil {
			return err
		}
	}
	return nil
}

// printLine writes a signed URL (or signed parameters) alone on one line;
// one with a control byte or a space could not be, and is refused.
func (e *env) printLine(s string) error {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b == 0x7f {
			return fmt.Errorf("the signed URL would hold byte 0x%02x: percent-encode it in --url", b)
		}
	}
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
