// Package nginx holds no code: tokensvc-origin.conf is an nginx server block
// for an origin that serves media only through auth_request to tokensvc's
// GET /verify, and nginx_test.go proves it with a real nginx and the real
// tokensvc binary.
package nginx
