// Package cli holds tokensvc's operator tools: keygen, sign and verify for
// every CDN format, the way `gcloud compute sign-url` serves one.
package cli

import (
	"fmt"
	"io"
)

// Run runs one tool and returns the process exit code.
func Run(cmd string, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "tokensvc %s: not built yet\n", cmd)
	return 2
}
