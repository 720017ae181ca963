package config

import (
	"crypto/ecdsa"

	"github.com/tokensvc/tokensvc/internal/signing"
)

func isECDSA(k signing.CloudFrontKey) bool {
	_, ok := k.Signer.Public().(*ecdsa.PublicKey)
	return ok
}
