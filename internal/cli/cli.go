package cli

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Run runs one tool (cmd is "keygen", "sign" or "verify") and returns the
// process exit code: 0 on success (and for -h), 1 when verify rejects a
// credential, 2 for bad flags, unreadable keys or input a signer refuses.
// Errors are one line on stderr, prefixed with the tool and kind.
func Run(cmd string, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, now: time.Now, rand: rand.Reader}
	return e.run(cmd, args)
}

// env is what a tool needs from the outside world. Run fills it with the
// real clock and crypto/rand; tests in this package inject their own.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
	rand           io.Reader
}

// errHelp means -h was asked for and the usage has been printed: exit 0.
var errHelp = errors.New("help requested")

// kinds lists what `sign KIND` and `verify KIND` accept, in the order the
// usage shows them.
var kinds = []string{"cloudcdn-cookie", "cloudcdn-url", "akamai", "cloudfront-cookie", "cloudfront-url", "gotipath"}

func (e *env) run(cmd string, args []string) int {
	prefix := "tokensvc " + cmd
	var code int
	var err error
	switch cmd {
	case "keygen":
		err = e.keygen(args)
	case "sign", "verify":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			if len(args) > 0 && isHelp(args[0]) {
				fmt.Fprintf(e.stderr, "usage: tokensvc %s KIND [flags]   (tokensvc %s KIND -h for its flags)\nKIND is one of: %s\n",
					cmd, cmd, strings.Join(kinds, ", "))
				return 0
			}
			fmt.Fprintf(e.stderr, "%s: KIND is required (one of %s)\n", prefix, strings.Join(kinds, ", "))
			return 2
		}
		kind := args[0]
		prefix += " " + kind
		if !isKind(kind) {
			fmt.Fprintf(e.stderr, "tokensvc %s: unknown kind %q (one of %s)\n", cmd, kind, strings.Join(kinds, ", "))
			return 2
		}
		if cmd == "sign" {
			err = e.sign(kind, args[1:])
		} else {
			code, err = e.verify(kind, args[1:])
		}
	default:
		fmt.Fprintf(e.stderr, "tokensvc: unknown tool %q (keygen, sign or verify)\n", cmd)
		return 2
	}
	switch {
	case errors.Is(err, errHelp):
		return 0
	case err != nil:
		// One line, whatever the error holds: a wrapped error from a parser
		// never spans lines, but a path or URL given on the command line
		// could.
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		fmt.Fprintf(e.stderr, "%s: %s\n", prefix, msg)
		return 2
	}
	return code
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--h", "--help":
		return true
	}
	return false
}

func isKind(k string) bool {
	for _, v := range kinds {
		if v == k {
			return true
		}
	}
	return false
}

// newFlagSet returns a FlagSet for one tool. Its output is discarded while
// parsing, so that a bad flag gives one line (ours) rather than the flag
// package's error plus the whole usage; parse prints the usage for -h.
func (e *env) newFlagSet(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags]\n%s\n\nflags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs. It returns errHelp after printing the usage to
// stderr for -h, and refuses positional arguments: every input is a flag, so
// a stray word is a mistake (often a flag missing its "--").
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stderr)
		fs.Usage()
		return errHelp
	}
	if err != nil {
		return fmt.Errorf("%v (see -h)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (every input is a flag; see -h)", fs.Arg(0))
	}
	return nil
}

// isSet reports whether the flag called name was given, so that an
// explicitly empty value can be told from an absent one.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// stringList is a repeatable string flag: each use appends one value.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// parseUnix parses a time flag: Unix seconds, decimal digits only. A time
// before 1970 has no representation in any of the four formats.
func parseUnix(name, s string) (time.Time, error) {
	if strings.HasPrefix(s, "-") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Time{}, fmt.Errorf("--%s %s: a time before 1970 is not allowed", name, s)
		}
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("--%s %q: want Unix seconds (decimal digits)", name, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: out of range", name, s)
	}
	return time.Unix(n, 0), nil
}

// requiredTime parses a time flag that must be given.
func requiredTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--%s is required (Unix seconds)", name)
	}
	return parseUnix(name, s)
}

// parseSeconds parses a positive number of whole seconds (Akamai's window).
func parseSeconds(name, s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strings.Trim(s, "0123456789") != "" || n > int64((1<<63-1)/time.Second) {
		return 0, fmt.Errorf("--%s %q: want a positive number of seconds", name, s)
	}
	return time.Duration(n) * time.Second, nil
}

// parseClientIP parses --client-ip; an empty value means unknown (the zero
// Addr), which an IP-bound credential rejects as ip_mismatch.
func parseClientIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--client-ip %q is not an IP address", s)
	}
	return a, nil
}

// maxKeyFile bounds what a key, secret or policy file may hold: the largest
// real one (a 4096-bit PKCS#1 PEM) is about 3.2 KiB. Reading a multi-gigabyte
// file by mistake should fail fast, not exhaust memory.
const maxKeyFile = 1 << 20

// readFile reads a key, secret or policy file named by flag name. The error
// names the flag and the file, never the content.
func readFile(name, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", name, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("--%s %s: file is larger than %d bytes", name, path, maxKeyFile)
	}
	return data, nil
}

// trimOneNewline drops one trailing "\n" (or "\r\n"): what an editor or echo
// adds to a file whose bytes are otherwise used as they are (a policy file).
func trimOneNewline(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-2] == '\r' && b[n-1] == '\n' {
		return b[:n-2]
	} else if n >= 1 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}
