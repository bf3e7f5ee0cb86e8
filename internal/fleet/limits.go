package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Limits is the policy's counters in Redis, so that rate limits,
// concurrency limits and budget reservations hold across the fleet: each
// Claim and Release is one Lua script, atomic on the server. It implements
// policy.State.
//
// Money is in pico-dollars, beyond the 2^53 that Lua's numbers hold
// exactly; the scripts keep counts as Redis integers (exact int64) and
// compare them as two exact halves of nine digits each.
//
// Keys, under the prefix: q:KEY|WINDOW a counter (hash: key, window, end,
// used, held), h:ID a hold (list of counter key, amount), holds the holds
// by expiry (sorted set, microseconds), holdseq the last hold ID. The
// scripts also touch hold keys they compute: on a Redis Cluster every key
// is under the prefix's one hash tag, in one slot.
type Limits struct{ f *Fleet }

var _ policy.State = (*Limits)(nil)

// Limits returns the fleet's shared policy counters.
func (f *Fleet) Limits() *Limits { return &Limits{f} }

// Exact arithmetic on decimal strings of up to 18 digits, as two halves.
const luaExact = `
local function split(s)
  s = tostring(s)
  local neg = false
  if string.sub(s, 1, 1) == "-" then neg = true; s = string.sub(s, 2) end
  local hi, lo = 0, tonumber(s)
  if #s > 9 then hi = tonumber(string.sub(s, 1, #s - 9)); lo = tonumber(string.sub(s, #s - 8)) end
  if neg then return -hi, -lo end
  return hi, lo
end
local function add(ah, al, bh, bl)
  local h, l = ah + bh, al + bl
  local c = math.floor(l / 1e9)
  return h + c, l - c * 1e9
end
local function gt(ah, al, bh, bl)
  if ah ~= bh then return ah > bh end
  return al > bl
end
local function sweep(prefix, holds, now)
  for _, id in ipairs(redis.call("ZRANGEBYSCORE", holds, "-inf", now)) do
    local hk = prefix .. "h:" .. id
    local parts = redis.call("LRANGE", hk, 0, -1)
    for j = 1, #parts, 2 do
      if redis.call("EXISTS", parts[j]) == 1 then redis.call("HINCRBY", parts[j], "held", "-" .. parts[j + 1]) end
    end
    redis.call("DEL", hk)
    redis.call("ZREM", holds, id)
  end
end
`

// claimScript: KEYS = holds, holdseq, counter keys…; ARGV = prefix, now
// (µs), expires (µs), then per claim: key, window, end, max, amount,
// instant, seeded, seed. Returns refused index (-1), hold ID (0), then the
// used and held of each claim before it, as strings.
var claimScript = redis.NewScript(luaExact + `
local prefix, now, expires = ARGV[1], ARGV[2], ARGV[3]
sweep(prefix, KEYS[1], now)
local n = #KEYS - 2
local out = {-1, 0}
for i = 1, n do
  local ck = KEYS[i + 2]
  local a = 3 + (i - 1) * 8
  if redis.call("EXISTS", ck) == 0 then
    local used = "0"
    if ARGV[a + 7] == "1" then used = ARGV[a + 8] end
    redis.call("HSET", ck, "key", ARGV[a + 1], "window", ARGV[a + 2], "end", ARGV[a + 3], "used", used, "held", "0")
    if ARGV[a + 3] ~= "0" then redis.call("EXPIREAT", ck, tonumber(ARGV[a + 3]) + 86400) end
  end
  local used = redis.call("HGET", ck, "used")
  local held = redis.call("HGET", ck, "held")
  out[#out + 1] = used
  out[#out + 1] = held
  local max = ARGV[a + 4]
  if max ~= "0" then
    local uh, ul = split(used)
    local hh, hl = split(held)
    local mh, ml = split(ARGV[a + 5])
    local th, tl = add(uh, ul, hh, hl)
    th, tl = add(th, tl, mh, ml)
    local xh, xl = split(max)
    if gt(th, tl, xh, xl) then
      out[1] = i - 1
      return out
    end
  end
end
local id = 0
for i = 1, n do
  local ck = KEYS[i + 2]
  local a = 3 + (i - 1) * 8
  if ARGV[a + 6] == "1" then
    redis.call("HINCRBY", ck, "used", ARGV[a + 5])
  else
    if id == 0 then id = redis.call("INCR", KEYS[2]) end
    redis.call("HINCRBY", ck, "held", ARGV[a + 5])
    redis.call("RPUSH", prefix .. "h:" .. id, ck, ARGV[a + 5])
  end
end
if id ~= 0 then
  redis.call("ZADD", KEYS[1], expires, id)
end
out[2] = id
return out
`)

// releaseScript: KEYS = holds, counter keys…; ARGV = prefix, hold ID, then
// per claim: used to add ("0" for none).
var releaseLimitScript = redis.NewScript(luaExact + `
local prefix, id = ARGV[1], ARGV[2]
local hk = prefix .. "h:" .. id
if redis.call("EXISTS", hk) == 1 then
  local parts = redis.call("LRANGE", hk, 0, -1)
  for j = 1, #parts, 2 do
    if redis.call("EXISTS", parts[j]) == 1 then redis.call("HINCRBY", parts[j], "held", "-" .. parts[j + 1]) end
  end
  redis.call("DEL", hk)
  redis.call("ZREM", KEYS[1], id)
end
for i = 2, #KEYS do
  local u = ARGV[i + 1]
  if u ~= "0" and redis.call("EXISTS", KEYS[i]) == 1 then redis.call("HINCRBY", KEYS[i], "used", u) end
end
return 1
`)

func (l *Limits) counterKey(c *policy.Claim) string {
	return l.f.key("q", c.Key+"|"+strconv.FormatInt(c.Window, 10))
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Claim implements policy.State.
func (l *Limits) Claim(ctx context.Context, claims []policy.Claim, now, expires time.Time) (policy.Grant, error) {
	f := l.f
	keys := make([]string, 0, len(claims)+2)
	keys = append(keys, f.key("holds", ""), f.key("holdseq", ""))
	args := make([]any, 0, 3+8*len(claims))
	args = append(args, f.opts.Prefix, micros(now), micros(expires))
	for i := range claims {
		c := &claims[i]
		keys = append(keys, l.counterKey(c))
		args = append(args, c.Key, strconv.FormatInt(c.Window, 10), strconv.FormatInt(c.End, 10),
			strconv.FormatInt(c.Max, 10), strconv.FormatInt(c.Amount, 10), flag(c.Instant), flag(c.Seeded), strconv.FormatInt(c.Seed, 10))
	}
	opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	res, err := claimScript.Run(opCtx, f.rdb, keys, args...).Slice()
	if f.observe(err) != nil {
		return policy.Grant{}, fmt.Errorf("redis limits: %w", err)
	}
	if len(res) < 2 {
		return policy.Grant{}, errors.New("redis limits: short reply")
	}
	refused, _ := res[0].(int64)
	id, _ := res[1].(int64)
	for i := 0; 2+2*i+1 < len(res) && i < len(claims); i++ {
		claims[i].Used = toInt(res[2+2*i])
		claims[i].Held = toInt(res[2+2*i+1])
	}
	return policy.Grant{ID: id, Refused: int(refused)}, nil
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case int64:
		return v
	}
	return 0
}

// Release implements policy.State.
func (l *Limits) Release(ctx context.Context, id int64, claims []policy.Claim, used []int64) error {
	f := l.f
	keys := []string{f.key("holds", "")}
	args := []any{f.opts.Prefix, strconv.FormatInt(id, 10)}
	for i := range claims {
		keys = append(keys, l.counterKey(&claims[i]))
		u := int64(0)
		if i < len(used) && !claims[i].Instant {
			u = used[i]
		}
		args = append(args, strconv.FormatInt(u, 10))
	}
	opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	if err := f.observe(releaseLimitScript.Run(opCtx, f.rdb, keys, args...).Err()); err != nil {
		return fmt.Errorf("redis limits: %w", err)
	}
	return nil
}

// Counters implements policy.State. It sweeps expired holds first, so that
// the figures are those a Claim would see.
func (l *Limits) Counters(ctx context.Context, now time.Time) ([]policy.Counter, error) {
	f := l.f
	opCtx, cancel := context.WithTimeout(ctx, 4*f.opts.OpTimeout)
	defer cancel()
	if _, err := l.Claim(opCtx, nil, now, now); err != nil {
		return nil, err
	}
	node, err := f.node(opCtx)
	if err != nil {
		return nil, fmt.Errorf("redis limits: %w", f.observe(err))
	}
	var out []policy.Counter
	iter := node.Scan(opCtx, 0, f.key("q", "*"), 256).Iterator()
	for iter.Next(opCtx) {
		h, err := node.HGetAll(opCtx, iter.Val()).Result()
		if err != nil {
			return nil, fmt.Errorf("redis limits: %w", f.observe(err))
		}
		c := policy.Counter{Key: h["key"], Window: toInt(h["window"]), End: toInt(h["end"]), Used: toInt(h["used"]), Held: toInt(h["held"])}
		if c.Key == "" || (c.End != 0 && c.End <= now.Unix()) {
			continue
		}
		out = append(out, c)
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("redis limits: %w", f.observe(err))
	}
	return out, nil
}

// Close implements policy.State; the Fleet owns the connection.
func (l *Limits) Close() error { return nil }
