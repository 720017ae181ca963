package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB whose cleanups and errors are kept for the test
// to look at.
type recorder struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Failed() bool              { return len(r.errs) > 0 }
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

// TestStartReportsARace: a started program that printed a race report
// fails the test when it is stopped; one that did not, does not.
func TestStartReportsARace(t *testing.T) {
	for _, c := range []struct {
		says string
		race bool
	}{{"WARNING: DATA RACE", true}, {"listening", false}} {
		r := &recorder{TB: t}
		out := Start(r, exec.Command("sh", "-c", "echo '"+c.says+"'; exec sleep 30"))
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), c.says); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%q never printed", c.says)
			}
		}
		for _, f := range r.cleanups {
			f()
		}
		if got := len(r.errs) > 0; got != c.race {
			t.Errorf("output %q: failed %v, want %v (%v)", c.says, got, c.race, r.errs)
		}
	}
}
