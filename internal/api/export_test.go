package api

// ClientIPForTest exposes clientIP to the external test package.
var ClientIPForTest = clientIP

// MaxSessionCookies exposes maxSessionCookies to the external test package.
const MaxSessionCookies = maxSessionCookies
