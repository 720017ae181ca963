// Package api is tokensvc's HTTP surface: the chi router, its handlers and
// middleware, RFC 9457 problem responses, cookie attributes and metrics.
//
// It is the only package that speaks HTTP. It builds on policy (what may be
// granted), signing (the CDN cookies) and session (tokensvc's own sessions);
// none of those import it. Everything it needs comes in through New(Deps):
// no globals, no init(), no default Prometheus registry.
package api
