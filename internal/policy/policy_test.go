package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func mustNew(t testing.TB) *Policy {
	t.Helper()
	p, err := New(DefaultLifetimes)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecide(t *testing.T) {
	p := mustNew(t)
	long := "guest_" + strings.Repeat("a", MaxIDLen)
	tests := []struct {
		name    string
		role    Role
		subject string
		prefix  string
		ttl     time.Duration
		capTTL  time.Duration
		err     error // nil, a sentinel, or *SubjectError (matched by type)
	}{
		{"ok/guest new", GuestNew, "guest_abc123", "/temp/guest_abc123/", 20 * time.Minute, 20 * time.Minute, nil},
		{"ok/guest otp", GuestOTP, "guest_abc123", "/temp/guest_abc123/", time.Hour, time.Hour, nil},
		{"ok/logged in", LoggedIn, "user_42", "/registered/user_42/", 2 * time.Hour, 12 * time.Hour, nil},
		{"ok/all id bytes", LoggedIn, "user_AZaz09_-", "/registered/user_AZaz09_-/", 2 * time.Hour, 12 * time.Hour, nil},
		{"ok/64 byte id", GuestNew, long, "/temp/" + long + "/", 20 * time.Minute, 20 * time.Minute, nil},
		{"err/unknown role", "ADMIN", "user_42", "", 0, 0, ErrUnknownRole},
		{"err/lower-case role", "guest_new", "guest_1", "", 0, 0, ErrUnknownRole},
		{"err/empty role", "", "guest_1", "", 0, 0, ErrUnknownRole},
		{"err/guest subject for logged in", LoggedIn, "guest_abc", "", 0, 0, ErrRoleSubjectMismatch},
		{"err/user subject for guest", GuestNew, "user_42", "", 0, 0, ErrRoleSubjectMismatch},
		{"err/user subject for otp", GuestOTP, "user_42", "", 0, 0, ErrRoleSubjectMismatch},
		{"err/65 byte id", GuestNew, long + "a", "", 0, 0, &SubjectError{}},
		{"err/empty", GuestNew, "", "", 0, 0, &SubjectError{}},
		{"err/prefix only", GuestNew, "guest_", "", 0, 0, &SubjectError{}},
		{"err/no tier prefix", GuestNew, "abc123", "", 0, 0, &SubjectError{}},
		{"err/dot dot", GuestNew, "guest_..", "", 0, 0, &SubjectError{}},
		{"err/traversal", GuestNew, "guest_a/../../registered/user_1", "", 0, 0, &SubjectError{}},
		{"err/slash", GuestNew, "guest_a/b", "", 0, 0, &SubjectError{}},
		{"err/percent", GuestNew, "guest_a%2fb", "", 0, 0, &SubjectError{}},
		{"err/star", GuestNew, "guest_*", "", 0, 0, &SubjectError{}},
		{"err/space", GuestNew, "guest_a b", "", 0, 0, &SubjectError{}},
		{"err/nul", GuestNew, "guest_a\x00", "", 0, 0, &SubjectError{}},
		{"err/newline", GuestNew, "guest_a\n", "", 0, 0, &SubjectError{}},
		{"err/non-ascii", GuestNew, "guest_é", "", 0, 0, &SubjectError{}},
		{"err/upper-case tier prefix", GuestNew, "GUEST_a", "", 0, 0, &SubjectError{}},
		{"err/colon", GuestNew, "guest_a:b", "", 0, 0, &SubjectError{}},
		{"err/tilde", GuestNew, "guest_a~b", "", 0, 0, &SubjectError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Decide(tt.role, tt.subject, t0)
			switch want := tt.err.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Decide: %v", err)
				}
			case *SubjectError:
				var se *SubjectError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a SubjectError", err)
				}
				if strings.Contains(se.Error(), tt.subject) && tt.subject != "" {
					t.Errorf("error %q repeats the subject", se.Error())
				}
				return
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				return
			}
			if d.Rule.Prefix(d.Subject) != tt.prefix {
				t.Errorf("prefix = %q, want %q", d.Rule.Prefix(d.Subject), tt.prefix)
			}
			if u := d.Rule.URLPrefix("https://cdn.example.com", d.Subject); u != "https://cdn.example.com"+tt.prefix {
				t.Errorf("URL prefix = %q, want the origin and %q", u, tt.prefix)
			}
			if got := d.Ends.Sub(d.Start); got != tt.ttl {
				t.Errorf("ends after %v, want %v", got, tt.ttl)
			}
			if got := d.Cap.Sub(d.Start); got != tt.capTTL {
				t.Errorf("cap after %v, want %v", got, tt.capTTL)
			}
			if !d.Start.Equal(t0) {
				t.Errorf("start = %v, want %v", d.Start, t0)
			}
		})
	}
}

func TestDecideTruncatesToSeconds(t *testing.T) {
	p := mustNew(t)
	d, err := p.Decide(GuestNew, "guest_1", t0.Add(999*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Ends.Equal(t0.Add(20 * time.Minute)) {
		t.Fatalf("ends = %v: CDN expiries are whole seconds, so the grant is too", d.Ends)
	}
}

func TestSlide(t *testing.T) {
	p := mustNew(t)
	guest, _ := p.Rule(GuestNew)
	user, _ := p.Rule(LoggedIn)
	ends := t0.Add(20 * time.Minute)
	tests := []struct {
		name  string
		rule  Rule
		ends  time.Time
		capAt time.Time
		now   time.Time
		want  time.Time
		ok    bool
	}{
		{"ok/guest keeps its hard end at 19 min", guest, ends, ends, t0.Add(19 * time.Minute), ends, true},
		{"ended/guest at its end", guest, ends, ends, ends, ends, false},
		{"ended/guest at 21 min", guest, ends, ends, t0.Add(21 * time.Minute), ends, false},
		{"ok/user slides 2h from activity", user, t0.Add(2 * time.Hour), t0.Add(12 * time.Hour), t0.Add(90 * time.Minute), t0.Add(210 * time.Minute), true},
		{"ok/user capped", user, t0.Add(11 * time.Hour), t0.Add(12 * time.Hour), t0.Add(10*time.Hour + 30*time.Minute), t0.Add(12 * time.Hour), true},
		{"ended/user at the cap", user, t0.Add(12 * time.Hour), t0.Add(12 * time.Hour), t0.Add(12 * time.Hour), t0.Add(12 * time.Hour), false},
		{"ok/user never moves backwards", user, t0.Add(3 * time.Hour), t0.Add(12 * time.Hour), t0.Add(30 * time.Minute), t0.Add(3 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rule.Slide(tt.ends, tt.capAt, tt.now)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Fatalf("Slide = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLifetimesValidate(t *testing.T) {
	bad := Lifetimes{GuestNew: 0, GuestOTP: time.Millisecond, LoggedIn: time.Hour, LoggedInMax: time.Minute}
	err := bad.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"GUEST_NEW", "GUEST_OTP", "shorter"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s: every problem must be reported", err, want)
		}
	}
	if _, err := New(bad); err == nil {
		t.Fatal("New accepted bad lifetimes")
	}
}

// FuzzDecide proves that no accepted subject yields a prefix outside its
// tier's folder.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{"guest_abc123", "user_42", "guest_..", "user_a/../b", "guest_%2e", "guest_é", "user_", "guest_a*", "user_\x00", "guest_" + strings.Repeat("z", 64)} {
		for _, r := range Roles {
			f.Add(string(r), s)
		}
	}
	p := mustNew(f)
	f.Fuzz(func(t *testing.T, role, subject string) {
		d, err := p.Decide(Role(role), subject, t0)
		if err != nil {
			return
		}
		base := map[Role]string{GuestNew: "/temp/guest_", GuestOTP: "/temp/guest_", LoggedIn: "/registered/user_"}[d.Rule.Role]
		if base == "" {
			t.Fatalf("accepted unknown role %q", role)
		}
		prefix := d.Rule.Prefix(d.Subject)
		if !strings.HasPrefix(prefix, base) || !strings.HasSuffix(prefix, "/") {
			t.Fatalf("prefix %q outside %s*/", prefix, base)
		}
		if strings.Count(prefix, "/") != 3 {
			t.Fatalf("prefix %q has an extra path segment", prefix)
		}
		for _, bad := range []string{"..", "//", "%", "*", "?", "#", "\\", "~", ":"} {
			if strings.Contains(prefix, bad) {
				t.Fatalf("prefix %q contains %q", prefix, bad)
			}
		}
		for i := 0; i < len(prefix); i++ {
			if c := prefix[i]; c < 0x21 || c > 0x7e {
				t.Fatalf("prefix %q has byte %#x", prefix, c)
			}
		}
		if len(subject) > len("guest_")+MaxIDLen {
			t.Fatalf("accepted a %d-byte subject", len(subject))
		}
	})
}
