package policy

import (
	"errors"
	"fmt"
	"time"
)

// Role is one of the three access tiers.
type Role string

// The tiers (reference/000, "The Workflows").
const (
	// GuestNew is a guest who just uploaded, with no account: a hard end.
	GuestNew Role = "GUEST_NEW"
	// GuestOTP is a returning guest who passed an OTP: a hard end.
	GuestOTP Role = "GUEST_OTP"
	// LoggedIn is a signed-in user: the session slides with activity, up to
	// an absolute cap.
	LoggedIn Role = "LOGGED_IN"
)

// Roles lists every role, in a fixed order (for metrics and docs).
var Roles = []Role{GuestNew, GuestOTP, LoggedIn}

// Errors Decide returns. The api package maps them to problem codes.
var (
	ErrUnknownRole         = errors.New("policy: unknown role")
	ErrRoleSubjectMismatch = errors.New("policy: subject does not belong to the role's tier")
)

// SubjectError says why a subject was rejected. Reason never repeats the
// subject itself, so it is safe to show to a caller.
type SubjectError struct{ Reason string }

func (e *SubjectError) Error() string { return "policy: subject rejected: " + e.Reason }

// Lifetimes are the per-role session lengths.
type Lifetimes struct {
	GuestNew    time.Duration // hard end after the grant (default 20m)
	GuestOTP    time.Duration // hard end after the grant (default 1h)
	LoggedIn    time.Duration // from the last activity (default 2h)
	LoggedInMax time.Duration // absolute cap of a rolling session (default 12h)
}

// DefaultLifetimes are the tiers of reference/000.
var DefaultLifetimes = Lifetimes{
	GuestNew:    20 * time.Minute,
	GuestOTP:    time.Hour,
	LoggedIn:    2 * time.Hour,
	LoggedInMax: 12 * time.Hour,
}

// Validate reports every problem with l at once.
func (l Lifetimes) Validate() error {
	var errs []error
	check := func(name string, d time.Duration) {
		if d < time.Second {
			errs = append(errs, fmt.Errorf("policy: %s lifetime %v is under one second", name, d))
		}
	}
	check("GUEST_NEW", l.GuestNew)
	check("GUEST_OTP", l.GuestOTP)
	check("LOGGED_IN", l.LoggedIn)
	check("LOGGED_IN max", l.LoggedInMax)
	if l.LoggedInMax < l.LoggedIn {
		errs = append(errs, fmt.Errorf("policy: LOGGED_IN max %v is shorter than the LOGGED_IN lifetime %v", l.LoggedInMax, l.LoggedIn))
	}
	return errors.Join(errs...)
}

// Rule is what one role grants.
type Rule struct {
	Role Role
	// Base is the tier's folder; a subject's prefix is Base + subject + "/".
	Base string
	// SubjectPrefix is what every subject of the tier starts with.
	SubjectPrefix string
	// TTL is the session length: from the grant for hard-end roles, from the
	// last activity for rolling ones.
	TTL time.Duration
	// Rolling sessions slide with activity, never past the grant + Max.
	Rolling bool
	Max     time.Duration
}

// Prefix is the path subject's cookies unlock under r: Base + subject + "/",
// as "/temp/guest_abc/". It always ends in "/" (Cloud CDN matches URLPrefix
// as a plain string prefix, so without it "guest_ab" would also unlock
// "guest_abc"). The subject must already have passed CheckSubject.
func (r Rule) Prefix(subject string) string { return r.URLPrefix("", subject) }

// URLPrefix is Prefix under origin ("https://cdn.example.com"), built in
// one piece: what a CDN cookie is signed for.
func (r Rule) URLPrefix(origin, subject string) string { return origin + r.Base + subject + "/" }

// Policy holds the three rules. It is immutable and safe for concurrent use.
type Policy struct {
	guestNew, guestOTP, loggedIn Rule
}

// New checks l and builds the rules.
func New(l Lifetimes) (*Policy, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &Policy{
		guestNew: Rule{Role: GuestNew, Base: "/temp/", SubjectPrefix: "guest_", TTL: l.GuestNew, Max: l.GuestNew},
		guestOTP: Rule{Role: GuestOTP, Base: "/temp/", SubjectPrefix: "guest_", TTL: l.GuestOTP, Max: l.GuestOTP},
		loggedIn: Rule{Role: LoggedIn, Base: "/registered/", SubjectPrefix: "user_", TTL: l.LoggedIn, Rolling: true, Max: l.LoggedInMax},
	}, nil
}

// Rule returns the rule of role, or ErrUnknownRole.
func (p *Policy) Rule(role Role) (Rule, error) {
	switch role {
	case GuestNew:
		return p.guestNew, nil
	case GuestOTP:
		return p.guestOTP, nil
	case LoggedIn:
		return p.loggedIn, nil
	}
	return Rule{}, ErrUnknownRole
}

// Decision is what a grant gives: the path prefix and the session's times.
type Decision struct {
	Rule    Rule
	Subject string
	// Start is the grant time; Ends the session's current end; Cap the
	// latest it can ever end (Ends for hard-end roles).
	Start, Ends, Cap time.Time
}

// Decide checks role and subject and says what a grant made at now gives.
// The subject is checked, never cleaned: anything outside the strict
// alphabet is an error.
func (p *Policy) Decide(role Role, subject string, now time.Time) (Decision, error) {
	rule, err := p.Rule(role)
	if err != nil {
		return Decision{}, err
	}
	if err := CheckSubject(subject); err != nil {
		return Decision{}, err
	}
	if !hasPrefix(subject, rule.SubjectPrefix) {
		return Decision{}, ErrRoleSubjectMismatch
	}
	now = now.Truncate(time.Second)
	d := Decision{
		Rule:    rule,
		Subject: subject,
		Start:   now,
		Ends:    now.Add(rule.TTL),
		Cap:     now.Add(rule.Max),
	}
	return d, nil
}

// Slide returns when a session of rule, granted at start with absolute cap
// capAt and currently ending at ends, ends after activity at now. Hard-end
// roles keep their end; rolling ones move to now + TTL, never past the cap
// and never backwards. ok is false when the session has already ended.
func (r Rule) Slide(ends, capAt, now time.Time) (newEnds time.Time, ok bool) {
	if !now.Before(ends) {
		return ends, false
	}
	if !r.Rolling {
		return ends, true
	}
	next := now.Truncate(time.Second).Add(r.TTL)
	if next.After(capAt) {
		next = capAt
	}
	if next.Before(ends) {
		next = ends
	}
	return next, true
}

// Subjects are the tier prefix ("guest_" or "user_") followed by 1 to
// MaxIDLen bytes of [A-Za-z0-9_-].
const MaxIDLen = 64

// CheckSubject reports whether s is a well-formed subject of any tier. It
// accepts "guest_" or "user_" followed by 1 to 64 bytes of [A-Za-z0-9_-], and
// nothing else: no "/", ".", "%", "*", control or non-ASCII bytes, so an
// accepted subject can never escape its tier's folder.
func CheckSubject(s string) error {
	var id string
	switch {
	case hasPrefix(s, "guest_"):
		id = s[len("guest_"):]
	case hasPrefix(s, "user_"):
		id = s[len("user_"):]
	case s == "":
		return &SubjectError{Reason: "subject is empty"}
	default:
		return &SubjectError{Reason: `subject must start with "guest_" or "user_"`}
	}
	if id == "" {
		return &SubjectError{Reason: "subject has nothing after its tier prefix"}
	}
	if len(id) > MaxIDLen {
		return &SubjectError{Reason: fmt.Sprintf("subject id is longer than %d bytes", MaxIDLen)}
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return &SubjectError{Reason: "subject id may hold only A-Z, a-z, 0-9, '_' and '-'"}
		}
	}
	return nil
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
