package cli

import (
	"strings"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// parseCookieHeader splits a Cookie request header value ("a=1; b=2") into
// its pairs, in header order, the way a CDN edge reads them: split on ";",
// trim the optional whitespace (spaces and tabs, RFC 9110 OWS) around each
// pair, cut at the first "=". Values are kept byte for byte: no unquoting and
// no percent-decoding, because verifiers compare the exact bytes a browser
// sends (a Gotipath ss_policy arrives as "...%3D" and must stay so). Empty
// pairs (";;", a trailing ";") are skipped; a pair without "=" becomes a
// cookie with that name and an empty value.
func parseCookieHeader(h string) []signing.Cookie {
	var out []signing.Cookie
	for part := range strings.SplitSeq(h, ";") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, signing.Cookie{Name: name, Value: value})
	}
	return out
}
