package config

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// readKeyFile reads a key (or API credentials) file, refusing one that
// everyone can read, or that anyone but its owner can write (who can write
// it can plant a key or a bearer token they know): deployment mistakes
// worth stopping for. Group read is allowed: Kubernetes mounts secrets
// 0440 for the pod's fsGroup. Errors name the file, never its content.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, errors.Unwrap(err))
	}
	if perm := fi.Mode().Perm(); perm&0o004 != 0 {
		return nil, fmt.Errorf("key file %s is readable by everyone (mode %v): chmod 600 it (640 to share it with the service's group)", path, perm)
	} else if perm&0o022 != 0 {
		return nil, fmt.Errorf("key file %s is writable by others than its owner (mode %v): chmod 600 it (640 to share it with the service's group)", path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, errors.Unwrap(err))
	}
	return b, nil
}

// Signers builds one signer per configured format, in TOKENSVC_CDN order.
// Every signer is also that format's verifier.
func (c *Config) Signers() ([]signing.Signer, error) {
	var out []signing.Signer
	var errs []error
	for _, f := range c.CDN {
		s, err := c.signer(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

func (c *Config) signer(format string) (signing.Signer, error) {
	switch format {
	case "cloudcdn":
		var keys []signing.CloudCDNKey
		for _, kv := range c.CloudCDNKeys {
			name, path, _ := strings.Cut(kv, "=")
			b, err := readKeyFile(path)
			if err != nil {
				return nil, err
			}
			k, err := signing.ParseCloudCDNKeyFile(b)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			keys = append(keys, signing.CloudCDNKey{Name: name, Key: k})
		}
		return signing.NewCloudCDN(keys...)
	case "akamai":
		var keys [][]byte
		for _, path := range c.AkamaiKeyFiles {
			b, err := readKeyFile(path)
			if err != nil {
				return nil, err
			}
			k, err := signing.ParseAkamaiKey(b)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			keys = append(keys, k)
		}
		opts := signing.AkamaiOptions{TokenName: c.AkamaiTokenName, Algorithm: c.AkamaiAlgorithm, EscapeEarly: c.AkamaiEscape}
		if c.AkamaiSaltFile != "" {
			b, err := readKeyFile(c.AkamaiSaltFile)
			if err != nil {
				return nil, err
			}
			opts.Salt = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		}
		return signing.NewAkamai(opts, keys...)
	case "cloudfront":
		var keys []signing.CloudFrontKey
		for _, kv := range c.CloudFrontKeys {
			id, path, _ := strings.Cut(kv, "=")
			b, err := readKeyFile(path)
			if err != nil {
				return nil, err
			}
			k, err := signing.ParseCloudFrontPrivateKey(b)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			keys = append(keys, signing.CloudFrontKey{ID: id, Signer: k})
		}
		return signing.NewCloudFront(c.cloudFrontHash(keys), keys...)
	case "gotipath":
		var secrets [][]byte
		for _, path := range c.GotipathSecrets {
			b, err := readKeyFile(path)
			if err != nil {
				return nil, err
			}
			s, err := signing.ParseGotipathSecret(b)
			if err != nil {
				return nil, fmt.Errorf("secret file %s: %w", path, err)
			}
			secrets = append(secrets, s)
		}
		return signing.NewGotipath(secrets...)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// cloudFrontHash picks SHA256 for ECDSA keys (the only pair the signer makes
// for ECDSA, see signing.NewCloudFront) and SHA1 for RSA, unless configured.
func (c *Config) cloudFrontHash(keys []signing.CloudFrontKey) string {
	if c.CloudFrontHash != "" {
		return c.CloudFrontHash
	}
	if len(keys) > 0 && isECDSA(keys[0]) {
		return "SHA256"
	}
	return "SHA1"
}

// APIKeyList reads TOKENSVC_API_KEYS and TOKENSVC_API_KEYS_FILE.
func (c *Config) APIKeyList() ([]api.APIKey, error) {
	var out []api.APIKey
	var errs []error
	for i, s := range c.APIKeys {
		k, err := api.ParseAPIKey(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("TOKENSVC_API_KEYS entry %d: %w", i+1, err))
			continue
		}
		out = append(out, k)
	}
	if c.APIKeysFile != "" {
		b, err := readKeyFile(c.APIKeysFile)
		if err != nil {
			errs = append(errs, err)
		} else {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for line := 1; sc.Scan(); line++ {
				s := strings.TrimSpace(sc.Text())
				if s == "" || strings.HasPrefix(s, "#") {
					continue
				}
				k, err := api.ParseAPIKey(s)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s line %d: %w", filepath.Base(c.APIKeysFile), line, err))
					continue
				}
				out = append(out, k)
			}
		}
	}
	return out, errors.Join(errs...)
}

// ApplyDev fills what dev mode needs and nothing configured: a local CDN
// base URL, generated keys for every configured format and a generated API
// key, all in DevDir (0700) as 0600 files, kept across restarts. It never
// overrides a value that was set.
func (c *Config) ApplyDev() ([]string, error) {
	var notes []string
	if err := os.MkdirAll(c.DevDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev folder: %w", err)
	}
	if err := os.Chmod(c.DevDir, 0o700); err != nil {
		return nil, err
	}
	if c.CDNBaseURL == "" {
		c.CDNBaseURL = "http://" + c.DevEdge
	}
	if len(c.AllowedOrigins) == 0 {
		if host, port, err := net.SplitHostPort(c.Addr); err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			c.AllowedOrigins = []string{"http://" + net.JoinHostPort(host, port)}
			if host == "127.0.0.1" {
				c.AllowedOrigins = append(c.AllowedOrigins, "http://localhost:"+port)
			}
		}
	}
	// Dev mode serves plain http: Secure is off unless the operator set it.
	// Config cannot tell a default from a value set to it, so this asks the
	// environment (Load read it a moment ago; ApplyDev runs right after).
	if _, set := os.LookupEnv("TOKENSVC_COOKIE_SECURE"); !set {
		c.CookieSecure = false
	}
	// Dev mode logs each line at once: the demo's OTP is read off the log.
	c.LogBuffer = 0
	gen := func(name string, make func() ([]byte, error)) (string, error) {
		path := filepath.Join(c.DevDir, name)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		b, err := make()
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return "", err
		}
		notes = append(notes, "generated "+path)
		return path, nil
	}
	for _, f := range c.CDN {
		var err error
		var p string
		switch f {
		case "cloudcdn":
			if len(c.CloudCDNKeys) == 0 {
				p, err = gen("cloudcdn.key", func() ([]byte, error) { return signing.GenerateCloudCDNKey(rand.Reader) })
				c.CloudCDNKeys = []string{"dev-key=" + p}
			}
		case "akamai":
			if len(c.AkamaiKeyFiles) == 0 {
				p, err = gen("akamai.key", func() ([]byte, error) { return signing.GenerateAkamaiKey(rand.Reader) })
				c.AkamaiKeyFiles = []string{p}
			}
		case "cloudfront":
			if len(c.CloudFrontKeys) == 0 {
				p, err = gen("cloudfront.pem", func() ([]byte, error) { return signing.GenerateCloudFrontKey(rand.Reader, true) })
				c.CloudFrontKeys = []string{"KDEVKEY=" + p}
			}
		case "gotipath":
			if len(c.GotipathSecrets) == 0 {
				p, err = gen("gotipath.secret", func() ([]byte, error) { return signing.GenerateGotipathSecret(rand.Reader) })
				c.GotipathSecrets = []string{p}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("dev key for %s: %w", f, err)
		}
	}
	if len(c.APIKeys) == 0 && c.APIKeysFile == "" {
		p, err := gen("api-keys", func() ([]byte, error) {
			var b [24]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, err
			}
			return []byte(fmt.Sprintf("dev:%x\n", b)), nil
		})
		if err != nil {
			return nil, fmt.Errorf("dev API key: %w", err)
		}
		c.APIKeysFile = p
	}
	return notes, nil
}

// DevAPIToken returns the token of the dev API key that ApplyDev wrote, for
// the demo app (dev mode only; production key files hold hashes).
func (c *Config) DevAPIToken() (string, error) {
	b, err := readKeyFile(filepath.Join(c.DevDir, "api-keys"))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	_, tok, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok || tok == "" {
		return "", errors.New("dev api-keys file is not name:token")
	}
	return tok, nil
}

func isECDSA(k signing.CloudFrontKey) bool {
	_, ok := k.Signer.Public().(*ecdsa.PublicKey)
	return ok
}
