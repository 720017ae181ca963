// Package cli holds tokensvc's operator tools: keygen, sign and verify for
// every CDN format, the way `gcloud compute sign-url` serves one.
//
// It owns flags, files and output only. Every byte of a credential comes from
// package signing (parse a key, build a signer or verifier, sign, verify):
// re-implementing a format here would let the CLI and the service disagree,
// and the public vectors only pin package signing.
//
// Key material is read from files, never taken from flags, so it does not end
// up in shell history or in the process list, and no message ever quotes it.
// cli imports nothing internal but signing, and no net/http.
package cli
