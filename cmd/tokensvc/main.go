// Command tokensvc decides who may see which private media on a CDN and
// hands browsers the signed cookies that prove it.
//
//	tokensvc [serve]            run the service (the default)
//	tokensvc keygen --cdn ...   make a key in a CDN's native form
//	tokensvc sign KIND ...      sign a cookie or URL, like gcloud compute sign-url
//	tokensvc verify KIND ...    check one, as the CDN would
//	tokensvc edge --root DIR    a local CDN edge that enforces signed cookies
//
// main only dispatches; serve.go wires the service, internal/cli holds the
// operator tools.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tokensvc/tokensvc/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: tokensvc [serve] | edge | keygen | sign KIND | verify KIND  (tokensvc COMMAND -h for flags)
`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		cmd, args = "help", nil
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "edge":
		return edgeCmd(args, stderr)
	case "keygen", "sign", "verify":
		return cli.Run(cmd, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tokensvc: unknown command %q\n%s", cmd, usage)
	return 2
}
