package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/tokensvc/tokensvc/"

type pkg struct {
	ImportPath string
	Deps       []string
}

func list(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[p.ImportPath] = p.Deps
	}
	return deps
}

// TestImportDirection: the domain packages import nothing internal and
// nothing from net/http; nothing imports api but cmd and the packages that
// serve it.
func TestImportDirection(t *testing.T) {
	deps := list(t)
	if len(deps) == 0 {
		t.Fatal("go list found no packages")
	}
	for _, leaf := range []string{"internal/policy", "internal/signing", "internal/session"} {
		d, ok := deps[mod+leaf]
		if !ok {
			t.Fatalf("%s not found", leaf)
		}
		for _, dep := range d {
			if dep == "net/http" {
				t.Errorf("%s imports net/http: HTTP belongs to api", leaf)
			}
			if strings.HasPrefix(dep, mod+"internal/") {
				t.Errorf("%s imports %s: domain packages import nothing internal", leaf, strings.TrimPrefix(dep, mod))
			}
		}
	}
	for p, d := range deps {
		if strings.HasPrefix(p, mod+"internal/signing") || strings.HasPrefix(p, mod+"internal/policy") || strings.HasPrefix(p, mod+"internal/session") {
			for _, dep := range d {
				if dep == mod+"internal/api" {
					t.Errorf("%s imports api", p)
				}
			}
		}
	}
}
