package api

import (
	"net/http"
	"os"
	"regexp"
	"testing"
)

// TestHeaderKeysAreCanonical: header() skips canonicalization, so every key
// this package looks up with it must already be canonical.
func TestHeaderKeysAreCanonical(t *testing.T) {
	re := regexp.MustCompile(`header\([a-zA-Z.]+, "([^"]+)"\)`)
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f.Name())
		if err != nil || f.IsDir() {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			n++
			if k := m[1]; http.CanonicalHeaderKey(k) != k {
				t.Errorf("%s: header key %q is not canonical (%q)", f.Name(), k, http.CanonicalHeaderKey(k))
			}
		}
	}
	if n < 5 {
		t.Fatalf("found only %d header() lookups: the pattern no longer matches the code", n)
	}
	h := http.Header{}
	h.Set("x-request-id", "a")
	if header(h, "X-Request-Id") != "a" || header(h, "Origin") != "" {
		t.Fatal("header() disagrees with Header.Get")
	}
}
