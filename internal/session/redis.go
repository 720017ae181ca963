package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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
	// Timeout bounds every store call whose context has no earlier
	// deadline (default 2s), so a Redis that stops answering costs a
	// request a 503 store_unavailable after Timeout, not go-redis's own
	// read timeouts and retries (tens of seconds, past the server's write
	// timeout).
	Timeout time.Duration
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
// seconds). Each subject has a set "<prefix>u:<subject>" indexing its
// sessions for DeleteSubject: one "<session key>|<cap, Unix s>" entry each.
//
// Expiry follows the injected clock: Get and Extend compare e with now. The
// key's own TTL is the end plus a margin, so Redis cleans up by itself.
type Redis struct {
	// ap, when autopipelining, is the autopipeliner's deferred face:
	// commands are submitted at once and waited for with the call's
	// context (a queued command runs on its own context, so only the
	// wait can honour a deadline).
	ap *redis.AutoPipeliner
	// plain is the client itself: every call without the autopipeliner,
	// and Ping and the rare multi-step DeleteSubject with it.
	plain   redis.UniversalClient
	now     Clock
	prefix  string
	margin  time.Duration
	timeout time.Duration
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
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	r := &Redis{plain: client, now: now, prefix: o.KeyPrefix, margin: o.Margin, timeout: o.Timeout}
	if o.AutoPipeline {
		// The deferred face: a call submits its commands and then waits
		// for them (see do), so Put's five ride one batch. Its default
		// keeps one ordered stream, so a caller's commands run in the
		// order it sent them.
		apo := redis.DefaultAutoPipelineOptions()
		apo.MaxFlushDelay = o.FlushDelay
		ap, err := client.AsyncAutoPipelineWithOptions(apo)
		if err != nil {
			return nil, fmt.Errorf("session: redis autopipeline: %v", err)
		}
		r.ap = ap
	}
	return r, nil
}

// bound gives ctx the store's timeout unless it already ends sooner.
func (r *Redis) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= r.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, r.timeout)
}

// do sends cmds in order, before it waits for any reply, and waits for all
// of them or until ctx is done; it returns the first error. On the
// autopipeliner they join the shared stream, usually in one batch with
// other requests' commands; on the plain client they are one pipeline of
// their own (one command goes alone).
func (r *Redis) do(ctx context.Context, cmds ...redis.Cmder) error {
	if r.ap == nil {
		if len(cmds) == 1 {
			return r.plain.Process(ctx, cmds[0])
		}
		_, err := r.plain.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, c := range cmds {
				_ = p.Process(ctx, c)
			}
			return nil
		})
		return err
	}
	var buf [5]redis.AutoFuture
	fs := buf[:0]
	for _, c := range cmds {
		fs = append(fs, r.ap.Submit(ctx, c))
	}
	var first error
	for _, f := range fs {
		err := f.WaitContext(ctx)
		if cerr := ctx.Err(); cerr != nil {
			// Abandon the wait; the commands still run, and a late write
			// is one no caller was told succeeded.
			return cerr
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *Redis) sessionKey(id string) string { return r.prefix + "s:" + keyString(id) }

// indexMember is a session's entry in its subject's set: its key and its
// cap, "<key>|<cap Unix seconds>". Past the cap the session can no longer
// be live, so DeleteSubject may drop the entry even when the key is gone;
// before it, a missing key may be a Put still on its way.
func indexMember(key string, capAt time.Time) string {
	return key + "|" + strconv.FormatInt(unixSec(capAt), 10)
}

// parseMember splits an index entry. An entry without a cap (written by an
// older tokensvc) has capAt 0: treated as past its cap.
func parseMember(m string) (key string, capAt int64) {
	i := strings.LastIndexByte(m, '|')
	if i < 0 {
		return m, 0
	}
	n, err := strconv.ParseInt(m[i+1:], 10, 64)
	if err != nil {
		return m, 0
	}
	return m[:i], n
}
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
	ctx, cancel := r.bound(ctx)
	defer cancel()
	return wrap(r.do(ctx,
		redis.NewIntCmd(ctx, "sadd", sk, indexMember(key, s.Cap)),
		// The set lives as long as its longest session can: set a TTL on a
		// new set (NX), and only ever lengthen it (GT), so a short session
		// after a long one does not drop the index the long one needs
		// (security review). Redis 7.0 or later.
		redis.NewBoolCmd(ctx, "pexpire", sk, capTTL.Milliseconds(), "nx"),
		redis.NewBoolCmd(ctx, "pexpire", sk, capTTL.Milliseconds(), "gt"),
		redis.NewIntCmd(ctx, "hset", key,
			"sub", s.Subject, "role", s.Role,
			"c", unixSec(s.Created), "e", unixSec(s.Expires), "cap", unixSec(s.Cap),
			"i", unixSec(s.Issued), "ce", unixSec(s.CookiesExpire)),
		redis.NewBoolCmd(ctx, "pexpire", key, ttl.Milliseconds()),
	))
}

func (r *Redis) Get(ctx context.Context, id string) (Session, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, err
	}
	ctx, cancel := r.bound(ctx)
	defer cancel()
	cmd := redis.NewMapStringStringCmd(ctx, "hgetall", r.sessionKey(id))
	if err := r.do(ctx, cmd); err != nil {
		return Session{}, wrap(err)
	}
	m := cmd.Val()
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
var extendScript = redis.NewScript(extendSource)

const extendSource = `
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
`

func (r *Redis) Extend(ctx context.Context, id string, u Update) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := r.bound(ctx)
	defer cancel()
	args := []any{"evalsha", extendScript.Hash(), 1, r.sessionKey(id),
		r.now().Unix(), unixSec(u.Expires), unixSec(u.Issued), unixSec(u.CookiesExpire), r.ttl(u.Expires).Milliseconds()}
	cmd := redis.NewCmd(ctx, args...)
	err := r.do(ctx, cmd)
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		// A node that has not seen the script yet (new, restarted, or
		// another Cluster node): send it whole once, which caches it.
		args[0], args[1] = "eval", extendSource
		cmd = redis.NewCmd(ctx, args...)
		err = r.do(ctx, cmd)
	}
	if err != nil {
		return wrap(err)
	}
	n, err := cmd.Int()
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
	// The subject set keeps the dangling entry until the set expires, or a
	// log out everywhere after the session's cap drops it (DeleteSubject);
	// reading the subject first would cost a round trip on every logout.
	ctx, cancel := r.bound(ctx)
	defer cancel()
	return wrap(r.do(ctx, redis.NewIntCmd(ctx, "del", r.sessionKey(id))))
}

func (r *Redis) DeleteSubject(ctx context.Context, subject string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ctx, cancel := r.bound(ctx)
	defer cancel()
	c := r.plain // rare, several steps, and it must honour ctx
	sk := r.subjectKey(subject)
	members, err := c.SMembers(ctx, sk).Result()
	if err != nil {
		return 0, wrap(err)
	}
	if len(members) == 0 {
		return 0, nil
	}
	keys := make([]string, len(members))
	caps := make([]int64, len(members))
	for i, m := range members {
		keys[i], caps[i] = parseMember(m)
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
	var drop []any
	for i, cmd := range cmds {
		v, err := cmd.(*redis.SliceCmd).Result()
		if err != nil || len(v) != 2 {
			continue
		}
		switch {
		case v[0] == subject:
			mine = append(mine, keys[i])
			drop = append(drop, members[i])
			if e, ok := v[1].(string); ok {
				if end, err := strconv.ParseInt(e, 10, 64); err == nil && now < end {
					n++
				}
			}
		case v[0] != nil:
			// Another subject's session under a reused key: not ours to
			// end, and not ours to index.
			drop = append(drop, members[i])
		case caps[i] <= now:
			// Gone, and past its cap: it can never come back.
			drop = append(drop, members[i])
		default:
			// No session yet, before its cap: a Put may have written the
			// entry and not yet the session (in a Cluster they go to
			// different nodes). Dropping the entry would leave that
			// session in no index, out of reach of every later log out
			// everywhere; it stays until the set expires.
		}
	}
	// Then take exactly those entries out of the set (not the whole set: a
	// Put running meanwhile may have added a session this call never saw,
	// and the index must keep it).
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range mine {
			p.Del(ctx, k)
		}
		if len(drop) > 0 {
			p.SRem(ctx, sk, drop...)
		}
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
	ctx, cancel := r.bound(ctx)
	defer cancel()
	return wrap(r.plain.Ping(ctx).Err())
}
