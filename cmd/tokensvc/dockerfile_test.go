package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerfileCopiesEverythingTheBinaryNeeds checks the Dockerfile as far
// as a machine without a Docker engine can: every folder of this module that
// the binary imports is copied into the build stage, the build command is
// the one that works here, and the final stage runs unprivileged.
func TestDockerfileCopiesEverythingTheBinaryNeeds(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	copied := map[string]bool{}
	for _, line := range strings.Split(df, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "COPY" && !strings.HasPrefix(f[1], "--") {
			copied[strings.TrimSuffix(f[1], "/")] = true
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Module", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/tokensvc/tokensvc" {
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, p.Module.Path), "/")
		top := strings.Split(rel, "/")[0]
		if !copied[top] {
			t.Errorf("the binary imports %s, but the Dockerfile does not COPY %s", rel, top)
		}
	}
	for _, want := range []string{
		"COPY go.mod go.sum ./",
		"CGO_ENABLED=0 go build -trimpath",
		"./cmd/tokensvc",
		"USER 65532:65532",
		"FROM gcr.io/distroless/static-debian13:nonroot",
		"ENV TOKENSVC_ADDR=:8080",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The build line itself works: run it here (static, no cgo).
	bin := filepath.Join(t.TempDir(), "tokensvc")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build command fails here: %v\n%s", err, out)
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "**/.tokensvc-dev", "**/*.key", "**/*.pem"} {
		if !strings.Contains(string(ignore), want) {
			t.Errorf(".dockerignore does not keep %s out of the build context", want)
		}
	}
}
