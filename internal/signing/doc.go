// Package signing produces and checks the signed cookies (and signed URLs) of
// every CDN format tokensvc supports: Google Cloud CDN, Akamai EdgeAuth Token
// 2.0, AWS CloudFront and Gotipath. One file per format.
//
// Signers are byte-exact: every public vector in testdata/vectors is
// reproduced to the byte. Verifiers are the part no SDK has: they check a
// request the way the CDN's edge does and say why they reject it (a Reason).
// Signatures are always compared in constant time (crypto/hmac.Equal or
// crypto/subtle), because a plain comparison leaks how many leading bytes of
// a forged signature were right.
//
// There is no clock here: expiry comes in with a Grant and "now" comes in to
// Verify. The package imports nothing internal and nothing from net/http;
// cookie attributes and HTTP status codes belong to package api.
package signing
