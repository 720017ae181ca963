package cli

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzTimeFlags: --expires, --start, --at and --window take decimal digits
// only. An accepted value is the number it spells (leading zeros aside), a
// time at or after 1970, a window over zero; a refusal names the flag.
func FuzzTimeFlags(f *testing.F) {
	for _, s := range []string{"1767226800", "0", "-1", "1e9", "00012", "+5", "9223372036854775807", "9223372036854775808", " 1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits := strings.TrimLeft(s, "0")
		if digits == "" {
			digits = "0"
		}
		if tm, err := parseUnix("expires", s); err == nil {
			if tm.Unix() < 0 || strconv.FormatInt(tm.Unix(), 10) != digits {
				t.Fatalf("parseUnix(%q) = %v", s, tm.Unix())
			}
		} else if !strings.Contains(err.Error(), "--expires") {
			t.Fatalf("parseUnix(%q): %v does not name the flag", s, err)
		}
		if d, err := parseSeconds("window", s); err == nil {
			if d <= 0 || d%time.Second != 0 || strconv.FormatInt(int64(d/time.Second), 10) != digits {
				t.Fatalf("parseSeconds(%q) = %v", s, d)
			}
		} else if !strings.Contains(err.Error(), "--window") {
			t.Fatalf("parseSeconds(%q): %v does not name the flag", s, err)
		}
	})
}
