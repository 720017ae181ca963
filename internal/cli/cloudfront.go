package cli

import (
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// cloudFrontKeys are the CloudFront key flags: the key pair id CloudFront
// knows the public key by, and a PEM key file. sign takes one private key;
// verify takes up to three pairs, matched in order, each a public key PEM (or
// a private key PEM, whose public half is used).
type cloudFrontKeys struct {
	ids, files stringList
}

func registerCloudFrontKeys(fs *flag.FlagSet, verify bool) *cloudFrontKeys {
	k := &cloudFrontKeys{}
	if verify {
		fs.Var(&k.ids, "key-pair-id", "key pair / public key `ID` (repeat, paired in order with --key-file)")
		fs.Var(&k.files, "key-file", "public key PEM `FILE` (a private key PEM works too; repeat for key rotation)")
	} else {
		fs.Var(&k.ids, "key-pair-id", "key pair / public key `ID`, e.g. K2JCJMDEHXQW5F")
		fs.Var(&k.files, "key-file", "private key PEM `FILE`: RSA (PKCS#1 or PKCS#8) or ECDSA P-256")
	}
	return k
}

// signer reads the one private key and returns a signer. hash is "" (SHA1,
// or SHA256 for an ECDSA key, the only hash the signer pairs ECDSA with),
// "SHA1" or "SHA256".
func (k *cloudFrontKeys) signer(hash string) (*signing.CloudFront, error) {
	id, err := requireOne("key-pair-id", k.ids)
	if err != nil {
		return nil, err
	}
	path, err := requireOne("key-file", k.files)
	if err != nil {
		return nil, err
	}
	data, err := readFile("key-file", path)
	if err != nil {
		return nil, err
	}
	priv, err := signing.ParseCloudFrontPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: %w", path, err)
	}
	if _, isEC := priv.Public().(*ecdsa.PublicKey); isEC && hash == "" {
		hash = "SHA256"
	}
	return signing.NewCloudFront(hash, signing.CloudFrontKey{ID: id, Signer: priv})
}

// verifier reads the public keys and returns a verify-only instance.
func (k *cloudFrontKeys) verifier() (*signing.CloudFront, error) {
	if len(k.ids) == 0 {
		return nil, errors.New("--key-pair-id is required")
	}
	if len(k.files) == 0 {
		return nil, errors.New("--key-file is required")
	}
	if len(k.ids) != len(k.files) {
		return nil, fmt.Errorf("--key-pair-id and --key-file pair up in order: got %d ids and %d files", len(k.ids), len(k.files))
	}
	pubs := make([]signing.CloudFrontPublicKey, len(k.files))
	for i, path := range k.files {
		data, err := readFile("key-file", path)
		if err != nil {
			return nil, err
		}
		pub, err := signing.ParseCloudFrontPublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", path, err)
		}
		pubs[i] = signing.CloudFrontPublicKey{ID: k.ids[i], Key: pub}
	}
	return signing.NewCloudFrontVerifier(pubs...)
}

// signCloudFront prints CloudFront signed cookies (cookie) or a signed URL.
//
// With --url and --expires the policy is canned unless --start or --ip is
// given or the URL holds a '*' (signing.CloudFrontPolicy.NeedsCustom: a
// canned policy is rebuilt from the literal request URL, so a wildcard needs
// a custom one). The resource is the URL as signing.CloudFrontResource
// normalises it, query string included, as AWS documents for canned
// policies. With --policy-file the file's bytes (minus one trailing newline)
// are the custom policy, signed as they are.
func (e *env) signCloudFront(args []string, cookie bool) error {
	name, summary := "tokensvc sign cloudfront-url",
		"Prints an AWS CloudFront signed URL.\n"+
			"Give --url and --expires [--start] [--ip], or --url and --policy-file."
	if cookie {
		name, summary = "tokensvc sign cloudfront-cookie",
			"Prints AWS CloudFront signed cookies (one Set-Cookie line each, in the SDK's order).\n"+
				"Give --url and --expires [--start] [--ip], or --policy-file."
	}
	fs := e.newFlagSet(name, summary)
	k := registerCloudFrontKeys(fs, false)
	url := fs.String("url", "", "`URL` (or Resource pattern with '*') to grant")
	expires := fs.String("expires", "", "DateLessThan, Unix `seconds`")
	start := fs.String("start", "", "DateGreaterThan, Unix `seconds` (makes the policy custom)")
	ip := fs.String("ip", "", "viewer `IP` or CIDR (makes the policy custom; a bare IP gets /32)")
	policyFile := fs.String("policy-file", "", "custom policy JSON `FILE`, signed byte for byte")
	hash := fs.String("hash-algorithm", "", "`hash`: SHA1 or SHA256 (default SHA1; SHA256 for an ECDSA key)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	h := strings.ToUpper(*hash)
	if h != "" && h != "SHA1" && h != "SHA256" {
		return fmt.Errorf("--hash-algorithm %q: want SHA1 or SHA256", *hash)
	}

	if *policyFile != "" {
		if *expires != "" || *start != "" || *ip != "" {
			return errors.New("--policy-file excludes --expires, --start and --ip (the policy holds them)")
		}
		if cookie && *url != "" {
			return errors.New("--policy-file excludes --url for cookies (the policy's Resource is the scope)")
		}
		if !cookie && *url == "" {
			return errors.New("--url is required (the URL to sign with the policy)")
		}
		data, err := readFile("policy-file", *policyFile)
		if err != nil {
			return err
		}
		policy := trimOneNewline(data)
		c, err := k.signer(h)
		if err != nil {
			return err
		}
		if cookie {
			cookies, err := c.SignCookies(policy, false)
			if err != nil {
				return fmt.Errorf("--policy-file %s: %w", *policyFile, err)
			}
			return e.printCookies(cookies)
		}
		out, err := c.SignURLPolicy(*url, policy)
		if err != nil {
			return err
		}
		return e.printLine(out)
	}

	if *url == "" {
		return errors.New("--url is required (or --policy-file)")
	}
	exp, err := requiredTime("expires", *expires)
	if err != nil {
		return err
	}
	p := signing.CloudFrontPolicy{DateLessThan: exp, IPAddress: *ip}
	if *start != "" {
		if p.DateGreaterThan, err = parseUnix("start", *start); err != nil {
			return err
		}
	}
	c, err := k.signer(h)
	if err != nil {
		return err
	}
	if !cookie {
		// SignURL normalises the URL into the resource itself and chooses
		// canned or custom the same way.
		out, err := c.SignURL(*url, p)
		if err != nil {
			return err
		}
		return e.printLine(out)
	}
	if p.Resource, err = signing.CloudFrontResource(*url); err != nil {
		return err
	}
	policy, err := p.JSON()
	if err != nil {
		return err
	}
	cookies, err := c.SignCookies(policy, !p.NeedsCustom())
	if err != nil {
		return err
	}
	return e.printCookies(cookies)
}
