package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// gotipathKeys is the Gotipath key flag: a secret file, whose bytes (minus
// one trailing newline) are the secret, as signing.ParseGotipathSecret reads
// it. verify takes up to three, for rotation.
type gotipathKeys struct {
	files stringList
}

func registerGotipathKeys(fs *flag.FlagSet, verify bool) *gotipathKeys {
	k := &gotipathKeys{}
	if verify {
		fs.Var(&k.files, "key-file", "secret `FILE`, used as is minus one trailing newline (repeat for key rotation)")
	} else {
		fs.Var(&k.files, "key-file", "secret `FILE`, used as is minus one trailing newline")
	}
	return k
}

func (k *gotipathKeys) build(verify bool) (*signing.Gotipath, error) {
	if !verify {
		if _, err := requireOne("key-file", k.files); err != nil {
			return nil, err
		}
	}
	if len(k.files) == 0 {
		return nil, errors.New("--key-file is required")
	}
	secrets := make([][]byte, len(k.files))
	for i, path := range k.files {
		data, err := readFile("key-file", path)
		if err != nil {
			return nil, err
		}
		if secrets[i], err = signing.ParseGotipathSecret(data); err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", path, err)
		}
	}
	return signing.NewGotipath(secrets...)
}

// signGotipath prints the ss_policy and ss_signature cookies, ss_policy in
// the urlencoded form PHP's setcookie() sends (signing.GotipathHeaderValue).
func (e *env) signGotipath(args []string) error {
	fs := e.newFlagSet("tokensvc sign gotipath",
		"Prints the Gotipath signed cookies (Set-Cookie: ss_policy=... and ss_signature=...).")
	k := registerGotipathKeys(fs, false)
	domain := fs.String("domain", "", "edge `domain`, without scheme or port")
	path := fs.String("path", "", "`path` prefix to grant, starting with /")
	expires := fs.String("expires", "", "expiry, Unix `seconds`")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *domain == "" {
		return errors.New("--domain is required")
	}
	if *path == "" {
		return errors.New("--path is required")
	}
	exp, err := requiredTime("expires", *expires)
	if err != nil {
		return err
	}
	g, err := k.build(false)
	if err != nil {
		return err
	}
	policy, sig, err := g.SignCookie(*domain, *path, exp)
	if err != nil {
		return err
	}
	// CookieNames is documented as ss_policy, ss_signature, in that order.
	names := g.CookieNames()
	return e.printCookies([]signing.Cookie{
		{Name: names[0], Value: signing.GotipathHeaderValue(policy)},
		{Name: names[1], Value: sig},
	})
}
