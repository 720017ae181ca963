package signing

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The public vectors live in testdata/vectors, copied from the steering
// repository's shared/testdata (see testdata/vectors/ORIGIN.md). They are never
// rewritten by a test: a mismatch is a bug in a signer, not in a vector.
const vectorDir = "testdata/vectors"

// sharedVectorDir is where the original vectors sit next to a checkout. CI
// clones main alone, so the drift check below runs only where it exists.
func sharedVectorDir() string {
	if d := os.Getenv("TOKENSVC_SHARED_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "testdata")
}

// vectorFile is the envelope every vector file shares.
type vectorFile[V any] struct {
	Format  string `json:"format"`
	Source  string `json:"source"`
	Vectors []V    `json:"vectors"`
}

// loadVectors reads one vector file and fails the test when it is missing or
// holds no vectors, so an emptied copy can never pass as green.
func loadVectors[V any](t testing.TB, name string) []V {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var f vectorFile[V]
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", name)
	}
	return f.Vectors
}

// vectorPath returns the path of a file (a key) in the vector folder.
func vectorPath(name string) string { return filepath.Join(vectorDir, name) }

func TestVectorCopyIsCompleteAndCurrent(t *testing.T) {
	want := []string{
		"README.md", "akamai_edgeauth.json", "cloudcdn_cookie.json", "cloudcdn_url.json",
		"cloudfront.json", "cloudfront_test_ec_key.pem", "cloudfront_test_ec_key.pub.pem",
		"cloudfront_test_key.pem", "cloudfront_test_key.pkcs1.pem", "cloudfront_test_key.pub.pem",
		"gotipath.json",
	}
	shared := sharedVectorDir()
	_, err := os.Stat(shared)
	haveShared := err == nil
	if !haveShared {
		t.Logf("%s not present: checking the copy only", shared)
	}
	for _, name := range want {
		local, err := os.ReadFile(filepath.Join(vectorDir, name))
		if err != nil {
			t.Errorf("vector copy: %v", err)
			continue
		}
		if len(bytes.TrimSpace(local)) == 0 {
			t.Errorf("vector copy %s is empty", name)
		}
		if !haveShared {
			continue
		}
		orig, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Errorf("shared vectors: %v", err)
			continue
		}
		if !bytes.Equal(local, orig) {
			t.Errorf("%s drifted from %s: copy it again (cp %s %s)", name, shared,
				filepath.Join(shared, name), filepath.Join(vectorDir, name))
		}
	}
	if haveShared {
		entries, err := os.ReadDir(shared)
		if err != nil {
			t.Fatal(err)
		}
		known := map[string]bool{}
		for _, n := range want {
			known[n] = true
		}
		for _, e := range entries {
			if !known[e.Name()] {
				t.Errorf("shared testdata has %s, which the copy lacks", e.Name())
			}
		}
	}
}
