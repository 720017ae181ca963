package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
	"github.com/tokensvc/tokensvc/internal/testenv"
)

var prefixSeq atomic.Int64

// openRedis connects a store (and returns its client, for looking under
// the hood) that is closed when the test ends.
func openRedis(t *testing.T, o session.RedisOptions, clk *storetest.Clock) (*session.Redis, redis.UniversalClient) {
	t.Helper()
	c, err := session.NewRedisClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := session.NewRedis(c, o, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return st, c
}

// pipelining is both ways the store can talk to Redis: the autopipeliner
// (the default) and one plain pipeline a request.
var pipelining = []struct {
	name  string
	on    bool
	delay time.Duration
}{{"autopipeline", true, 0}, {"autopipeline with a flush delay", true, 100 * time.Microsecond}, {"plain", false, 0}}

func TestRedisConformance(t *testing.T) {
	addr := testenv.Redis(t)
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, clk *storetest.Clock) session.Store {
				st, _ := openRedis(t, session.RedisOptions{URL: "redis://" + addr + "/0", KeyPrefix: fmt.Sprintf("test%d:", prefixSeq.Add(1)), AutoPipeline: p.on, FlushDelay: p.delay}, clk)
				return st
			})
		})
	}
}

func TestRedisUnavailable(t *testing.T) {
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) { testRedisUnavailable(t, p.on) })
	}
}

func testRedisUnavailable(t *testing.T, autopipeline bool) {
	o := session.RedisOptions{URL: fmt.Sprintf("redis://127.0.0.1:%d/0?dial_timeout=200ms&max_retries=-1", testenv.FreePort(t)), AutoPipeline: autopipeline}
	st, _ := openRedis(t, o, storetest.NewClock())
	ctx := context.Background()
	if err := st.Ping(ctx); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Ping err = %v, want ErrUnavailable", err)
	}
	if _, err := st.Get(ctx, "x"); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Get err = %v, want ErrUnavailable (fail closed, not not-found)", err)
	}
	if err := st.Put(ctx, session.Session{ID: "x", Subject: "user_1", Expires: time.Now().Add(time.Hour)}); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Put err = %v, want ErrUnavailable", err)
	}
}

func TestNewRedisClientURLs(t *testing.T) {
	tests := []struct {
		name, url string
		ok        bool
	}{
		{"ok/single", "redis://127.0.0.1:6379/0", true},
		{"ok/tls", "rediss://user:pw@cache.internal:6380/1", true},
		{"ok/sentinel", "redis://s1:26379?master_name=mymaster&addr=s2:26379", true},
		{"ok/cluster", "redis://n1:7000?addr=n2:7000&addr=n3:7000", true},
		{"err/scheme", "http://127.0.0.1:6379", false},
		{"err/empty", "", false},
		{"err/bad db", "redis://127.0.0.1:6379/notanumber", false},
		{"err/unknown param", "redis://127.0.0.1:6379?bogus=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := session.NewRedisClient(session.RedisOptions{URL: tt.url})
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error %q leaks the password", err)
				}
				return
			}
			c.Close()
		})
	}
	if _, err := session.NewRedisClient(session.RedisOptions{URL: "redis://user:s3cret@h:1/x"}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v: must fail without quoting the password", err)
	}
}

// TestRedisClusterConformance runs the suite on a real three-master Redis
// Cluster: DeleteSubject and Put touch keys in different slots.
func TestRedisClusterConformance(t *testing.T) {
	url := testenv.RedisCluster(t)
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, clk *storetest.Clock) session.Store {
				st, c := openRedis(t, session.RedisOptions{URL: url, KeyPrefix: fmt.Sprintf("c%d:", prefixSeq.Add(1)), AutoPipeline: p.on, FlushDelay: p.delay}, clk)
				if _, ok := c.(*redis.ClusterClient); !ok {
					t.Fatalf("client is %T, want a cluster client", c)
				}
				return st
			})
		})
	}
}

// TestRedisSentinelConformance runs the suite through a Sentinel.
func TestRedisSentinelConformance(t *testing.T) {
	url := testenv.RedisSentinel(t)
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, clk *storetest.Clock) session.Store {
				st, _ := openRedis(t, session.RedisOptions{URL: url, KeyPrefix: fmt.Sprintf("s%d:", prefixSeq.Add(1)), AutoPipeline: p.on, FlushDelay: p.delay}, clk)
				return st
			})
		})
	}
}

// TestRedisSubjectIndexOutlivesItsLongestSession: a short session put after
// a long one for the same subject must not shorten the subject's index, or
// log-out-everywhere would miss the long session once the short one ends.
func TestRedisSubjectIndexOutlivesItsLongestSession(t *testing.T) {
	addr := testenv.Redis(t)
	clk := storetest.NewClock()
	st, c := openRedis(t, session.RedisOptions{URL: "redis://" + addr + "/0", KeyPrefix: "ttl:", AutoPipeline: true}, clk)
	ctx := context.Background()
	now := clk.Now()
	long := session.Session{ID: "long", Subject: "guest_x", Role: "GUEST_OTP", Created: now, Expires: now.Add(time.Hour), Cap: now.Add(time.Hour)}
	short := session.Session{ID: "short", Subject: "guest_x", Role: "GUEST_NEW", Created: now, Expires: now.Add(20 * time.Minute), Cap: now.Add(20 * time.Minute)}
	for _, s := range []session.Session{long, short} {
		if err := st.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ttl, err := c.TTL(ctx, "ttl:u:guest_x").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < time.Hour {
		t.Fatalf("subject index TTL %v after a 1 h and a 20 min session: want at least 1 h", ttl)
	}
}

// TestRedisCallsHonourTheirDeadline: a Redis that accepts connections and
// never answers must cost a call no more than its deadline, or the store's
// own timeout when the caller set none, autopipeliner or not. A queued
// autopipelined command runs on its own context; without a bounded wait,
// requests waited out go-redis's read timeouts and retries (about 40 s,
// past the server's write timeout: the client got no answer at all, not a
// 503). Readiness probes bound Ping the same way.
func TestRedisCallsHonourTheirDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	clk := storetest.NewClock()
	s := session.Session{ID: "silent", Subject: "user_1", Role: "LOGGED_IN", Created: clk.Now(), Expires: clk.Now().Add(time.Hour), Cap: clk.Now().Add(2 * time.Hour)}
	calls := []struct {
		name string
		call func(ctx context.Context, st *session.Redis) error
	}{
		{"Put", func(ctx context.Context, st *session.Redis) error { return st.Put(ctx, s) }},
		{"Get", func(ctx context.Context, st *session.Redis) error { _, err := st.Get(ctx, s.ID); return err }},
		{"Extend", func(ctx context.Context, st *session.Redis) error {
			return st.Extend(ctx, s.ID, session.Update{Expires: clk.Now().Add(2 * time.Hour)})
		}},
		{"Delete", func(ctx context.Context, st *session.Redis) error { return st.Delete(ctx, s.ID) }},
		{"DeleteSubject", func(ctx context.Context, st *session.Redis) error {
			_, err := st.DeleteSubject(ctx, s.Subject)
			return err
		}},
		{"Ping", func(ctx context.Context, st *session.Redis) error { return st.Ping(ctx) }},
	}
	for _, p := range pipelining {
		for _, c := range calls {
			for _, own := range []bool{true, false} {
				name := p.name + "/" + c.name + "/the store's timeout"
				if own {
					name = p.name + "/" + c.name + "/the caller's deadline"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					o := session.RedisOptions{URL: "redis://" + ln.Addr().String() + "/0", AutoPipeline: p.on, FlushDelay: p.delay, Timeout: 300 * time.Millisecond}
					ctx := context.Background()
					if own {
						o.Timeout = time.Minute
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
						defer cancel()
					}
					// Not openRedis: closing waits for the abandoned
					// commands' read timeouts (3 s each), so close in the
					// background.
					rc, err := session.NewRedisClient(o)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { go rc.Close() })
					st, err := session.NewRedis(rc, o, clk.Now)
					if err != nil {
						t.Fatal(err)
					}
					done := make(chan error, 1)
					go func() { done <- c.call(ctx, st) }()
					select {
					case err := <-done:
						if err == nil {
							t.Fatalf("%s against a silent server succeeded", c.name)
						}
						if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, session.ErrUnavailable) {
							t.Fatalf("%s: %v, want a deadline or ErrUnavailable (the API's 503)", c.name, err)
						}
					case <-time.After(3 * time.Second):
						t.Fatalf("%s did not return within 3 s of its 300 ms bound", c.name)
					}
				})
			}
		}
	}
}

// TestRedisLogoutEverywhereKeepsAnEntryItsPutIsStillWriting replays, step
// by step, a log out everywhere that runs between the two halves of a Put:
// the subject's index entry is written, the session not yet (in a Cluster
// they go to different nodes; the autopipeliner may split them over
// batches). DeleteSubject used to take every entry it examined out of the
// index, so the session landed in no index and every later log out
// everywhere missed it until its cap (found by a review). The entry must
// stay; an entry whose session is gone and past its cap must go.
//
// The test writes Redis's records itself, so it pins their format: the
// session hash "<prefix>s:<b64url(sha256(id))>", the subject set
// "<prefix>u:<subject>" and its entries "<session key>|<cap, Unix s>".
func TestRedisLogoutEverywhereKeepsAnEntryItsPutIsStillWriting(t *testing.T) {
	addr := testenv.Redis(t)
	clk := storetest.NewClock()
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) {
			prefix := fmt.Sprintf("inflight%d:", prefixSeq.Add(1))
			st, c := openRedis(t, session.RedisOptions{URL: "redis://" + addr + "/0", KeyPrefix: prefix, AutoPipeline: p.on, FlushDelay: p.delay}, clk)
			ctx := context.Background()
			now := clk.Now()
			s := session.Session{ID: "in-flight", Subject: "user_x", Role: "LOGGED_IN", Created: now,
				Expires: now.Add(2 * time.Hour), Cap: now.Add(12 * time.Hour), Issued: now, CookiesExpire: now.Add(2 * time.Hour)}
			sum := sha256.Sum256([]byte(s.ID))
			key := prefix + "s:" + base64.RawURLEncoding.EncodeToString(sum[:])
			set := prefix + "u:" + s.Subject
			entry := fmt.Sprintf("%s|%d", key, s.Cap.Unix())
			gone := fmt.Sprintf("%ss:gone|%d", prefix, now.Add(-time.Minute).Unix())

			// Put's first half, and an old entry whose session is over.
			if err := c.SAdd(ctx, set, entry, gone).Err(); err != nil {
				t.Fatal(err)
			}
			if n, err := st.DeleteSubject(ctx, s.Subject); err != nil || n != 0 {
				t.Fatalf("log out everywhere mid-Put: %d, %v; want 0 sessions ended", n, err)
			}
			// Put's second half lands.
			if err := c.HSet(ctx, key, "sub", s.Subject, "role", s.Role, "c", s.Created.Unix(), "e", s.Expires.Unix(),
				"cap", s.Cap.Unix(), "i", s.Issued.Unix(), "ce", s.CookiesExpire.Unix()).Err(); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Get(ctx, s.ID); err != nil {
				t.Fatalf("the session Put wrote: %v", err)
			}
			if ok, _ := c.SIsMember(ctx, set, gone).Result(); ok {
				t.Error("an entry past its cap with no session stayed in the index")
			}
			// The next log out everywhere must find it.
			if n, err := st.DeleteSubject(ctx, s.Subject); err != nil || n != 1 {
				t.Fatalf("log out everywhere after the Put: %d, %v; want 1", n, err)
			}
			if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("the session outlived log out everywhere: %v", err)
			}
		})
	}
}
