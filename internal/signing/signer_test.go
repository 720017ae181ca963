package signing

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

func TestReasonOf(t *testing.T) {
	if ReasonOf(Expired) != Expired || ReasonOf(errors.Join(errors.New("x"), BadSignature)) != BadSignature || ReasonOf(errors.New("x")) != Malformed {
		t.Fatal("ReasonOf")
	}
}

func TestHasDotSegment(t *testing.T) {
	for path, want := range map[string]bool{
		"/temp/guest_a/p1.jpg": false, "/temp/guest_a/../guest_b/p.jpg": true, "/temp/./x": true,
		"/temp/%2e%2e/x": true, "/temp/%2E./x": true, "/temp/.%2e": true, "/temp/..%2fx": true,
		"/temp\\..\\x": true, "/temp/%5c..%5cx": true, "/temp/...": false, "/temp/.hidden": false,
		"/temp/a..b": false, "": false, "/": false, "/..": true, "/%2e": true, "/%2": false,
		"/temp/..;/x": true, "/temp/%2e%2e;jsessionid=1/x": true, "/temp/.;x/y": true, "/temp/a;..": false, "/temp/..a;b": false,
	} {
		if got := hasDotSegment(path); got != want {
			t.Errorf("hasDotSegment(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestNoVerifierAcceptsADotSegment: for every format, a credential for
// /temp/guest_a/ never admits a path that a server would resolve into
// another folder.
func TestNoVerifierAcceptsADotSegment(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range testSigners(t) {
		cs, err := s.Sign(Grant{URLPrefix: "https://cdn.site.com/temp/guest_a/", Expires: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		v := s.(Verifier)
		if err := v.Verify(&Request{URL: "https://cdn.site.com/temp/guest_a/p.jpg", Cookies: cs}, now); err != nil {
			t.Fatalf("%s: own prefix: %v", s.Format(), err)
		}
		for _, p := range []string{"/temp/guest_a/../guest_b/p.jpg", "/temp/guest_a/%2e%2e/guest_b/p.jpg", "/temp/guest_a/..%2fguest_b/p.jpg", "/temp/guest_a/.%2E/guest_b/p.jpg", "/temp/guest_a/..;/guest_b/p.jpg"} {
			if err := v.Verify(&Request{URL: "https://cdn.site.com" + p, Cookies: cs}, now); !errors.Is(err, ScopeMismatch) {
				t.Errorf("%s: %s: %v, want scope_mismatch", s.Format(), p, err)
			}
		}
		// A raw '#' (security review): a file server would clean the path
		// behind it into another folder.
		for _, p := range []string{"/temp/guest_a/#/../../guest_b/p.jpg", "/temp/guest_a/p.jpg#x"} {
			if err := v.Verify(&Request{URL: "https://cdn.site.com" + p, Cookies: cs}, now); !errors.Is(err, Malformed) {
				t.Errorf("%s: %s: %v, want malformed", s.Format(), p, err)
			}
		}
		if err := v.Verify(&Request{URL: "https://cdn.site.com/temp/guest_a/%23/../../guest_b/p.jpg", Cookies: cs}, now); !errors.Is(err, ScopeMismatch) {
			t.Errorf("%s: an encoded '#' before a dot segment: %v", s.Format(), err)
		}
		if _, err := s.Sign(Grant{URLPrefix: "https://cdn.site.com/temp/guest_a/../", Expires: now.Add(time.Hour)}); err == nil {
			t.Errorf("%s signed a prefix with a dot segment", s.Format())
		}
	}
}

// testSigners returns one signer of each format with a generated key.
func testSigners(t *testing.T) []Signer {
	t.Helper()
	ck, _ := GenerateCloudCDNKey(rand.Reader)
	ckey, _ := ParseCloudCDNKeyFile(ck)
	cdn, err := NewCloudCDN(CloudCDNKey{Name: "k", Key: ckey})
	if err != nil {
		t.Fatal(err)
	}
	ak, _ := GenerateAkamaiKey(rand.Reader)
	akey, _ := ParseAkamaiKey(ak)
	aka, err := NewAkamai(AkamaiOptions{}, akey)
	if err != nil {
		t.Fatal(err)
	}
	fk, _ := GenerateCloudFrontKey(rand.Reader, true)
	fkey, _ := ParseCloudFrontPrivateKey(fk)
	cf, err := NewCloudFront("SHA256", CloudFrontKey{ID: "K1", Signer: fkey})
	if err != nil {
		t.Fatal(err)
	}
	gk, _ := GenerateGotipathSecret(rand.Reader)
	gkey, _ := ParseGotipathSecret(gk)
	gp, err := NewGotipath(gkey)
	if err != nil {
		t.Fatal(err)
	}
	return []Signer{cdn, aka, cf, gp}
}
