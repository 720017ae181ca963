package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// cloudCDNKeys are the Cloud CDN key flags: a key name and a gcloud key file
// (base64url of 16 bytes), as `gcloud compute backend-services
// add-signed-url-key --key-name NAME --key-file FILE` takes them. verify
// takes up to three pairs, matched in order, as one backend holds.
type cloudCDNKeys struct {
	names, files stringList
}

func registerCloudCDNKeys(fs *flag.FlagSet, verify bool) *cloudCDNKeys {
	k := &cloudCDNKeys{}
	if verify {
		fs.Var(&k.names, "key-name", "key `NAME` as configured on the backend (repeat, paired in order with --key-file)")
		fs.Var(&k.files, "key-file", "gcloud key `FILE`: base64url of 16 bytes (repeat for key rotation)")
	} else {
		fs.Var(&k.names, "key-name", "key `NAME` as configured on the backend")
		fs.Var(&k.files, "key-file", "gcloud key `FILE`: base64url of 16 bytes")
	}
	return k
}

// build reads the key files and returns the signer (sign: exactly one pair)
// or verifier (verify: 1 to 3 pairs).
func (k *cloudCDNKeys) build(verify bool) (*signing.CloudCDN, error) {
	if !verify {
		if _, err := requireOne("key-name", k.names); err != nil {
			return nil, err
		}
		if _, err := requireOne("key-file", k.files); err != nil {
			return nil, err
		}
	}
	if len(k.names) == 0 {
		return nil, errors.New("--key-name is required")
	}
	if len(k.files) == 0 {
		return nil, errors.New("--key-file is required")
	}
	if len(k.names) != len(k.files) {
		return nil, fmt.Errorf("--key-name and --key-file pair up in order: got %d names and %d files", len(k.names), len(k.files))
	}
	keys := make([]signing.CloudCDNKey, len(k.files))
	for i, path := range k.files {
		data, err := readFile("key-file", path)
		if err != nil {
			return nil, err
		}
		raw, err := signing.ParseCloudCDNKeyFile(data)
		if err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", path, err)
		}
		keys[i] = signing.CloudCDNKey{Name: k.names[i], Key: raw}
	}
	return signing.NewCloudCDN(keys...)
}

// signCloudCDNCookie prints the Cloud-CDN-Cookie for a URL prefix.
func (e *env) signCloudCDNCookie(args []string) error {
	fs := e.newFlagSet("tokensvc sign cloudcdn-cookie",
		"Prints the Google Cloud CDN signed cookie (Set-Cookie: Cloud-CDN-Cookie=...) for a URL prefix.")
	k := registerCloudCDNKeys(fs, false)
	prefix := fs.String("url-prefix", "", "`URL` prefix to grant, e.g. https://cdn.example.com/videos/ (signed verbatim)")
	expires := fs.String("expires", "", "expiry, Unix `seconds`")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *prefix == "" {
		return errors.New("--url-prefix is required")
	}
	exp, err := requiredTime("expires", *expires)
	if err != nil {
		return err
	}
	c, err := k.build(false)
	if err != nil {
		return err
	}
	v, err := c.SignCookieValue(*prefix, exp)
	if err != nil {
		return err
	}
	return e.printCookies([]signing.Cookie{{Name: signing.CloudCDNCookieName, Value: v}})
}

// signCloudCDNURL prints a signed URL: the URL itself signed (--url), or
// URL-prefix parameters (--url-prefix), appended to --url when given.
func (e *env) signCloudCDNURL(args []string) error {
	fs := e.newFlagSet("tokensvc sign cloudcdn-url",
		"Prints a Google Cloud CDN signed URL: --url alone signs that URL; --url-prefix signs a prefix\n"+
			"(appended to --url when given, else the signed query parameters alone).")
	k := registerCloudCDNKeys(fs, false)
	url := fs.String("url", "", "`URL` to sign (or to carry the prefix parameters)")
	prefix := fs.String("url-prefix", "", "`URL` prefix to sign instead of the URL itself")
	expires := fs.String("expires", "", "expiry, Unix `seconds`")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *url == "" && *prefix == "" {
		return errors.New("--url or --url-prefix is required")
	}
	exp, err := requiredTime("expires", *expires)
	if err != nil {
		return err
	}
	c, err := k.build(false)
	if err != nil {
		return err
	}
	var out string
	switch {
	case *prefix == "":
		out, err = c.SignURL(*url, exp)
	case *url == "":
		out, err = c.SignURLPrefixParams(*prefix, exp)
	default:
		out, err = c.SignURLWithPrefix(*url, *prefix, exp)
	}
	if err != nil {
		return err
	}
	return e.printLine(out)
}
