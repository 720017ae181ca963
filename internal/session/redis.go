package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure the Redis store.
type RedisOptions struct {
	// URL is a go-redis URL. Its shape picks the deployment:
	//   redis://[user:pass@]host:6379/0                     one node
	//   redis://host:26379?master_name=mymaster&addr=host2:26379  Sentinel
	//   redis://host:7000?addr=host:7001&addr=host:7002     Cluster
	// rediss:// turns TLS on. Cluster forces cluster mode for a single
	// configuration endpoint (as ElastiCache hands out).
	URL     string
	Cluster bool
	// KeyPrefix namespaces every key (default "tokensvc:"); tests use a fresh
	// one each.
	KeyPrefix string
	// Margin is how long Redis keeps a session past its end before its own
	// TTL deletes it. Expiry itself follows the injected clock; Redis's TTL
	// only cleans up (default 1 minute).
	Margin time.Duration
	// AutoPipeline sends the commands of concurrent requests together, in
	// one ordered stream (go-redis's AutoPipeliner, deferred face): one
	// write and one read carry many requests' commands, where a plain
	// client spends a round trip, and two syscalls on each side, per
	// request. It is go-redis's experimental API (pinned in go.mod), so it
	// can be switched off (TOKENSVC_REDIS_AUTOPIPELINE=false).
	AutoPipeline bool
	// FlushDelay, with AutoPipeline, is how long the autopipeliner waits
	// for more commands before each flush (go-redis MaxFlushDelay, whose
	// documentation recommends 100µs for most workloads; tokensvc's default).
	// 0 leaves go-redis's own coalescing. Measured here (one core for
	// tokensvc and redis-server, 64 concurrent grants): 100µs gave 14-60 %
	// more grants/s across runs and half the p99; at 16 the two were alike.
	// The price: Go's timers sleep at least a millisecond in an idle
	// process, so a lone call waits about 1 ms.
	FlushDelay time.Duration
}

// NewRedisClient builds the one client type (go-redis UniversalClient) for a
// single node, Sentinel or Cluster from o.URL. Its calls honour their
// context's deadline (go-redis otherwise waits out its own read timeout, 5 s,
// and its retries): a readiness probe must fail by its own deadline.
func NewRedisClient(o RedisOptions) (redis.UniversalClient, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		// url.Parse errors quote the URL, which may hold a password.
		return nil, errors.New("session: TOKENSVC_REDIS_URL must be a redis:// or rediss:// URL")
	}
	q := u.Query()
	switch {
	case q.Get("master_name") != "":
		fo, err := redis.ParseFailoverURL(o.URL)
		if err != nil {
			return nil, redactErr("sentinel", err)
		}
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	case o.Cluster || q.Has("addr"):
		co, err := redis.ParseClusterURL(o.URL)
		if err != nil {
			return nil, redactErr("cluster", err)
		}
		co.ContextTimeoutEnabled = true
		return redis.NewClusterClient(co), nil
	default:
		so, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, redactErr("single node", err)
		}
		so.ContextTimeoutEnabled = true
		return redis.NewClient(so), nil
	}
}

// redactErr keeps the kind of a URL error but never its text, which may
// quote the password.
func redactErr(kind string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("session: TOKENSVC_REDIS_URL is not a valid %s URL", kind)
	}
	return fmt.Errorf("session: TOKENSVC_REDIS_URL (%s): %v", kind, err)
}

// Redis is the store for several replicas. A session is one hash,
// "<prefix>s:<sha256(id)>", with fields sub, role, c, e, cap, i, ce (Unix
// seconds). Each subject has a set "<prefix>u:<subject>" of its session
// keys, for DeleteSubject.
//
// Expiry follows the injected clock: Get and Extend compare e with now. The
// key's own TTL is the end plus a margin, so Redis cleans up by itself.
type Redis struct {
	c redis.UniversalClient
	// deferred: c is the autopipeliner's deferred face, whose commands
	// return at once and wait for their reply when read.
	deferred bool
	// plain is the client itself, for the calls that must honour their
	// context: a command the autopipeliner has queued runs on its own
	// context, so a probe's deadline would not bound it (Ping), and for the
	// rare multi-step DeleteSubject.
	plain  redis.UniversalClient
	now    Clock
	prefix string
	margin time.Duration
}

var _ Store = (*Redis)(nil)

// NewRedis wraps client. The caller owns client and closes it (which also
// stops the autopipeliner, when o.AutoPipeline asked for one).
func NewRedis(client redis.UniversalClient, o RedisOptions, now Clock) (*Redis, error) {
	if now == nil {
		now = time.Now
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "tokensvc:"
	}
	if o.Margin <= 0 {
		o.Margin = time.Minute
	}
	c := client
	if o.AutoPipeline {
		// The deferred face: Put submits its commands and then waits for
		// them, so they ride one batch; every other call waits at once
		// (and runs on the autopipeliner's own context, not the caller's).
		// Its default keeps one ordered stream, so a caller's commands run
		// in the order it sent them.
		apo := redis.DefaultAutoPipelineOptions()
		apo.MaxFlushDelay = o.FlushDelay
		ap, err := client.AsyncAutoPipelineWithOptions(apo)
		if err != nil {
			return nil, fmt.Errorf("session: redis autopipeline: %v", err)
		}
		c = ap
	}
	return &Redis{c: c, deferred: o.AutoPipeline, plain: client, now: now, prefix: o.KeyPrefix, margin: o.Margin}, nil
}

func (r *Redis) sessionKey(id string) string  { return r.prefix + "s:" + keyString(id) }
func (r *Redis) subjectKey(sub string) string { return r.prefix + "u:" + sub }
func (r *Redis) ttl(expires time.Time) time.Duration {
	d := expires.Sub(r.now()) + r.margin
	if d < time.Second {
		d = time.Second
	}
	return d
}

// wrap turns a client error into ErrUnavailable, keeping context errors as
// they are so callers see a cancellation as a cancellation.
func wrap(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

func (r *Redis) Put(ctx context.Context, s Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, sk := r.sessionKey(s.ID), r.subjectKey(s.Subject)
	ttl := r.ttl(s.Expires)
	capTTL := r.ttl(s.Cap)
	if capTTL < ttl {
		capTTL = ttl
	}
	// Not a MULTI: in a Cluster the two keys live in different slots (and
	// nodes, which may apply them in either order). Any failure fails the
	// Put, so the id is never handed out: a session missing from its
	// subject's index is one no browser holds.
	err := r.batch(ctx, func(p redis.Cmdable) []redis.Cmder {
		return []redis.Cmder{
			p.SAdd(ctx, sk, key),
			// The set lives as long as its longest session can: set a TTL
			// on a new set (NX), and only ever lengthen it (GT), so a short
			// session after a long one does not drop the index the long one
			// needs (security review). Redis 7.0 or later.
			p.ExpireNX(ctx, sk, capTTL),
			p.ExpireGT(ctx, sk, capTTL),
			p.HSet(ctx, key,
				"sub", s.Subject, "role", s.Role,
				"c", unixSec(s.Created), "e", unixSec(s.Expires), "cap", unixSec(s.Cap),
				"i", unixSec(s.Issued), "ce", unixSec(s.CookiesExpire)),
			p.Expire(ctx, key, ttl),
		}
	})
	return wrap(err)
}

// batch sends, in order, the commands fn issues on p (and returns) before
// it waits for any reply, and returns the first error. On the autopipeliner
// they join the shared stream, usually in one batch with other requests'
// commands; on a plain client they are one pipeline of their own.
func (r *Redis) batch(ctx context.Context, fn func(p redis.Cmdable) []redis.Cmder) error {
	if !r.deferred {
		_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			fn(p)
			return nil
		})
		return err
	}
	var err error
	for _, c := range fn(r.c) {
		if e := c.Err(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (r *Redis) Get(ctx context.Context, id string) (Session, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, err
	}
	m, err := r.c.HGetAll(ctx, r.sessionKey(id)).Result()
	if err != nil {
		return Session{}, wrap(err)
	}
	if len(m) == 0 {
		return Session{}, ErrNotFound
	}
	var nums [5]int64
	for i, f := range []string{"c", "e", "cap", "i", "ce"} {
		n, err := strconv.ParseInt(m[f], 10, 64)
		if err != nil {
			return Session{}, fmt.Errorf("%w: corrupt session field %s", ErrUnavailable, f)
		}
		nums[i] = n
	}
	if r.now().Unix() >= nums[1] {
		return Session{}, ErrNotFound
	}
	return Session{
		ID: id, Subject: m["sub"], Role: m["role"],
		Created: fromUnix(nums[0]), Expires: fromUnix(nums[1]), Cap: fromUnix(nums[2]),
		Issued: fromUnix(nums[3]), CookiesExpire: fromUnix(nums[4]),
	}, nil
}

// extendScript updates a live session in one step, so a revoke on another
// replica between read and write can never be undone by a refresh, and
// only forward (see Update): a later end, and the cookie times of a later
// re-sign. The TTL follows the end.
// KEYS[1] session key; ARGV: now, e, i, ce (Unix seconds), ttl (ms).
var extendScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'i')
local e = tonumber(v[1])
if not e or e <= tonumber(ARGV[1]) then return 0 end
if tonumber(ARGV[2]) > e then
  redis.call('HSET', KEYS[1], 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
if tonumber(ARGV[3]) > (tonumber(v[2]) or 0) then
  redis.call('HSET', KEYS[1], 'i', ARGV[3], 'ce', ARGV[4])
end
return 1
`)

func (r *Redis) Extend(ctx context.Context, id string, u Update) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := extendScript.Run(ctx, r.c, []string{r.sessionKey(id)},
		r.now().Unix(), unixSec(u.Expires), unixSec(u.Issued), unixSec(u.CookiesExpire),
		r.ttl(u.Expires).Milliseconds()).Int()
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (r *Redis) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// The subject set keeps the dangling key until it expires or the
	// subject logs out everywhere; reading the subject first would cost a
	// round trip on every logout.
	return wrap(r.c.Del(ctx, r.sessionKey(id)).Err())
}

func (r *Redis) DeleteSubject(ctx context.Context, subject string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c := r.plain // rare, several steps, and it must honour ctx
	sk := r.subjectKey(subject)
	keys, err := c.SMembers(ctx, sk).Result()
	if err != nil {
		return 0, wrap(err)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	// Read each listed session's subject and end, then delete the ones that
	// are still the subject's: a key in the set is only a hint (the set may
	// outlive a session whose key was later reused), and logging one
	// subject out must never end another's session. Pipelines, not a
	// script: in a Cluster the keys spread over slots.
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.HMGet(ctx, k, "sub", "e")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, wrap(err)
	}
	now := r.now().Unix()
	n := 0
	var mine []string
	for i, cmd := range cmds {
		v, err := cmd.(*redis.SliceCmd).Result()
		if err != nil || len(v) != 2 || v[0] != subject {
			continue
		}
		mine = append(mine, keys[i])
		if e, ok := v[1].(string); ok {
			if end, err := strconv.ParseInt(e, 10, 64); err == nil && now < end {
				n++
			}
		}
	}
	// Then take exactly the examined keys out of the set (not the whole
	// set: a Put running meanwhile may have added a session this call never
	// saw, and the index must keep it).
	members := make([]any, len(keys))
	for i, k := range keys {
		members[i] = k
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range mine {
			p.Del(ctx, k)
		}
		p.SRem(ctx, sk, members...)
		return nil
	}); err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

func (r *Redis) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return wrap(r.plain.Ping(ctx).Err())
}
