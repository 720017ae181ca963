package session_test

import (
	"context"
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

// TestRedisPingHonoursItsDeadline: readiness probes bound Ping with a
// context; a Redis that accepts connections and never answers must fail
// the probe by that deadline, autopipeliner or not.
func TestRedisPingHonoursItsDeadline(t *testing.T) {
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
	for _, p := range pipelining {
		t.Run(p.name, func(t *testing.T) {
			st, _ := openRedis(t, session.RedisOptions{URL: "redis://" + ln.Addr().String() + "/0", AutoPipeline: p.on, FlushDelay: p.delay}, storetest.NewClock())
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- st.Ping(ctx) }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("Ping of a silent server succeeded")
				}
			case <-time.After(3 * time.Second):
				t.Fatal("Ping did not return within 3 s of its 300 ms deadline")
			}
		})
	}
}
