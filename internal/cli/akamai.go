package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// akamaiOptions are the Akamai key flags plus the EdgeAuth settings that
// change a token's bytes (signing.AkamaiOptions). sign and verify take the
// same ones, since the edge must be configured with the same values.
type akamaiOptions struct {
	files          stringList
	algorithm      string
	tokenName      string
	fieldDelimiter string
	aclDelimiter   string
	escapeEarly    bool
	salt           string
}

func registerAkamaiOptions(fs *flag.FlagSet, verify bool) *akamaiOptions {
	o := &akamaiOptions{}
	if verify {
		fs.Var(&o.files, "key-file", "key `FILE`: the hex encryption key (repeat for key rotation)")
	} else {
		fs.Var(&o.files, "key-file", "key `FILE`: the hex encryption key")
	}
	fs.StringVar(&o.algorithm, "algorithm", "sha256", "HMAC `algorithm`: sha256, sha1 or md5")
	fs.StringVar(&o.tokenName, "token-name", "__token__", "cookie (or query parameter) `name` of the token")
	fs.StringVar(&o.fieldDelimiter, "field-delimiter", "~", "one `character` between token fields")
	fs.StringVar(&o.aclDelimiter, "acl-delimiter", "!", "one `character` between ACLs")
	fs.BoolVar(&o.escapeEarly, "escape-early", false, "percent-escape ip, id, data and url before hashing")
	fs.StringVar(&o.salt, "salt", "", "`salt` hashed into the token but never sent")
	return o
}

// build reads the key files and returns the signer or verifier.
func (o *akamaiOptions) build(verify bool) (*signing.Akamai, error) {
	if !verify {
		if _, err := requireOne("key-file", o.files); err != nil {
			return nil, err
		}
	}
	if len(o.files) == 0 {
		return nil, errors.New("--key-file is required")
	}
	fd, err := oneByte("field-delimiter", o.fieldDelimiter)
	if err != nil {
		return nil, err
	}
	ad, err := oneByte("acl-delimiter", o.aclDelimiter)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(o.files))
	for i, path := range o.files {
		data, err := readFile("key-file", path)
		if err != nil {
			return nil, err
		}
		if keys[i], err = signing.ParseAkamaiKey(data); err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", path, err)
		}
	}
	return signing.NewAkamai(signing.AkamaiOptions{
		TokenName:      o.tokenName,
		Algorithm:      o.algorithm,
		FieldDelimiter: fd,
		ACLDelimiter:   ad,
		EscapeEarly:    o.escapeEarly,
		Salt:           o.salt,
	}, keys...)
}

// oneByte reads a delimiter flag: exactly one byte.
func oneByte(name, s string) (byte, error) {
	if len(s) != 1 {
		return 0, fmt.Errorf("--%s %q: want exactly one character", name, s)
	}
	return s[0], nil
}

// signAkamai prints the EdgeAuth 2.0 token as a cookie.
func (e *env) signAkamai(args []string) error {
	fs := e.newFlagSet("tokensvc sign akamai",
		"Prints an Akamai EdgeAuth (Auth Token 2.0) token as a cookie (Set-Cookie: __token__=...).\n"+
			"Give --acl (repeatable) or --url, and --expires or --window (counted from --start, else from now).")
	o := registerAkamaiOptions(fs, false)
	var acls stringList
	fs.Var(&acls, "acl", "ACL path `pattern` ('*' any run, '?' one byte); repeat for several")
	url := fs.String("url", "", "the one `path` (and query) a URL token is good for; hashed, not sent")
	start := fs.String("start", "", "start (st=), Unix `seconds`")
	expires := fs.String("expires", "", "end (exp=), Unix `seconds`")
	window := fs.String("window", "", "lifetime in `seconds`, from --start or else from now")
	ip := fs.String("ip", "", "client `IP` the token is bound to (ip=)")
	sessionID := fs.String("session-id", "", "session `id` (id=)")
	payload := fs.String("payload", "", "opaque `data` (data=)")
	if err := e.parse(fs, args); err != nil {
		return err
	}

	p := signing.AkamaiTokenParams{ACL: acls, URL: *url, IP: *ip, SessionID: *sessionID, Payload: *payload}
	switch {
	case len(acls) > 0 && *url != "":
		return errors.New("--acl and --url exclude each other")
	case len(acls) == 0 && *url == "":
		return errors.New("--acl or --url is required")
	}
	if *start != "" {
		t, err := parseUnix("start", *start)
		if err != nil {
			return err
		}
		p.Start = t
	}
	switch {
	case *expires != "" && *window != "":
		return errors.New("--expires and --window exclude each other")
	case *expires != "":
		t, err := parseUnix("expires", *expires)
		if err != nil {
			return err
		}
		p.End = t
	case *window != "":
		w, err := parseSeconds("window", *window)
		if err != nil {
			return err
		}
		if *start != "" {
			p.Window = w
		} else {
			// As the EdgeAuth libraries do without a start time: the end is
			// now + window, and the token carries no st= field. The clock
			// is read here, never inside package signing.
			p.End = time.Unix(e.now().Unix(), 0).Add(w)
		}
	default:
		return errors.New("--expires or --window is required")
	}

	a, err := o.build(false)
	if err != nil {
		return err
	}
	tok, err := a.Token(p)
	if err != nil {
		return err
	}
	return e.printCookies([]signing.Cookie{{Name: a.CookieNames()[0], Value: tok}})
}
