package signing

import "testing"

// BenchmarkSign measures Sign for a typical tokensvc grant
// ("https://cdn.site.com/temp/guest_abc123/", 20 minutes) in each format.
// cloudfront is RSA-2048/SHA-1; cloudfront-bare-rsa is a bare
// rsa.SignPKCS1v15 over the same policy, the floor RSA signing cannot beat.
func BenchmarkSign(b *testing.B) {
	b.Run("cloudcdn", benchSignCloudCDN)
	b.Run("akamai", benchSignAkamai)
	b.Run("cloudfront", benchSignCloudFront)
	b.Run("cloudfront-bare-rsa", benchSignCloudFrontBareRSA)
	b.Run("cloudfront-ecdsa", benchSignCloudFrontECDSA)
	b.Run("gotipath", benchSignGotipath)
}

// BenchmarkVerify measures Verify of what Sign produced, for a URL inside
// the grant, in each format.
func BenchmarkVerify(b *testing.B) {
	b.Run("cloudcdn", benchVerifyCloudCDN)
	b.Run("akamai", benchVerifyAkamai)
	b.Run("cloudfront", benchVerifyCloudFront)
	b.Run("cloudfront-ecdsa", benchVerifyCloudFrontECDSA)
	b.Run("gotipath", benchVerifyGotipath)
}
