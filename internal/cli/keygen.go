package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// keygen runs `tokensvc keygen`: a new key in the CDN's native form, made by
// package signing from crypto/rand.
//
// Without --out the key goes to stdout: the operator asked for it, and
// nothing is ever logged. With --out it is written to a new file of mode 0600
// (O_EXCL: an existing key is never overwritten, since losing a key that is
// still configured on a CDN locks every viewer out) and nothing secret is
// printed. For CloudFront the public key, which is uploaded to AWS, is
// written next to the private one (FILE.pem -> FILE.pub.pem, as the test
// vectors name theirs) and printed.
func (e *env) keygen(args []string) error {
	fs := e.newFlagSet("tokensvc keygen",
		"Makes a new key in a CDN's native form: cloudcdn a gcloud key file (base64url of 16 bytes),\n"+
			"akamai 32 bytes of hex, cloudfront an RSA-2048 (or --ecdsa P-256) PKCS#8 PEM, gotipath a random secret.")
	cdn := fs.String("cdn", "", "`CDN`: cloudcdn, akamai, cloudfront or gotipath")
	out := fs.String("out", "", "write the key to this new `FILE` (mode 0600) instead of stdout")
	useECDSA := fs.Bool("ecdsa", false, "cloudfront only: an ECDSA P-256 key instead of RSA-2048")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *useECDSA && *cdn != "cloudfront" {
		return errors.New("--ecdsa applies to --cdn cloudfront only")
	}

	var key, pub []byte
	var err error
	switch *cdn {
	case "cloudcdn":
		key, err = signing.GenerateCloudCDNKey(e.rand)
	case "akamai":
		key, err = signing.GenerateAkamaiKey(e.rand)
	case "gotipath":
		key, err = signing.GenerateGotipathSecret(e.rand)
	case "cloudfront":
		if key, err = signing.GenerateCloudFrontKey(e.rand, *useECDSA); err == nil {
			pub, err = cloudFrontPublicPEM(key)
		}
	case "":
		return errors.New("--cdn is required (cloudcdn, akamai, cloudfront or gotipath)")
	default:
		return fmt.Errorf("--cdn %q: want cloudcdn, akamai, cloudfront or gotipath", *cdn)
	}
	if err != nil {
		return err
	}
	defer clear(key)

	if *out == "" {
		_, err := e.stdout.Write(key)
		return err
	}
	files := []newFile{{path: *out, data: key, mode: 0o600}}
	if pub != nil {
		files = append(files, newFile{path: publicKeyPath(*out), data: pub, mode: 0o644})
	}
	if err := writeNewFiles(files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(e.stderr, "tokensvc keygen: wrote %s (mode %#o)\n", f.path, f.mode)
	}
	if pub != nil {
		_, err := e.stdout.Write(pub)
		return err
	}
	return nil
}

// cloudFrontPublicPEM returns the public half of a private key PEM, in the
// form the CloudFront console takes.
func cloudFrontPublicPEM(privPEM []byte) ([]byte, error) {
	priv, err := signing.ParseCloudFrontPrivateKey(privPEM)
	if err != nil {
		return nil, err
	}
	return signing.CloudFrontPublicKeyPEM(priv.Public())
}

// publicKeyPath names the public key file: "k.pem" -> "k.pub.pem", any other
// name gets ".pub.pem" appended.
func publicKeyPath(out string) string {
	return strings.TrimSuffix(out, ".pem") + ".pub.pem"
}

type newFile struct {
	path string
	data []byte
	mode os.FileMode
}

// writeNewFiles creates every file with O_EXCL before writing any, so that
// either all are written or none is left behind (a private key without its
// public key, or the reverse, would only confuse the next run).
func writeNewFiles(files []newFile) (err error) {
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
			if err != nil {
				os.Remove(f.Name())
			}
		}
	}()
	for _, nf := range files {
		f, err := os.OpenFile(nf.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, nf.mode)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("--out: %s already exists; refusing to overwrite a key", nf.path)
			}
			return fmt.Errorf("--out: %w", err)
		}
		opened = append(opened, f)
	}
	for i, nf := range files {
		f := opened[i]
		// The umask can only take bits away; Chmod makes the mode exact.
		if err := f.Chmod(nf.mode); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if _, err := f.Write(nf.data); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}
