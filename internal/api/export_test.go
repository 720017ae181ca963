package api

// ClientIPForTest exposes clientIP to the external test package.
var ClientIPForTest = clientIP
