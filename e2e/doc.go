// Package e2e holds the end-to-end tests: the built tokensvc binary in dev
// mode with its edge and demo app, driven over HTTP and by headless Chromium.
package e2e
