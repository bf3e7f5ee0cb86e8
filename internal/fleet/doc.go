// Package fleet makes several gateway processes behind a load balancer
// behave as one, on Redis: a shared answer cache (the L2 behind each
// process's in-memory cache) and one upstream call per identical request
// across the fleet (a gateway.Coalescer).
//
// Redis is an optimisation, never a dependency of an answer: when it is
// unreachable or slow every operation gives up within its timeout, the
// cache misses, the coalescer tells the gateway to call alone, the outage
// is logged once, and Health reports it until Redis answers again.
//
// Keys, under the configured prefix:
//
//	PREFIX c:KEY   a cached answer, with its expiry (PX = CACHE_TTL)
//	PREFIX l:KEY   the lock of the replica making the call for KEY (PX = lock TTL, renewed while it runs)
//	PREFIX r:KEY   the outcome of the last call, for replicas that waited on it or claimed it just after (kept 2× lock TTL)
//	PREFIX d:KEY   the channel on which the outcome is announced
//
// On a Redis Cluster (Options.Cluster) the prefix is one hash tag, so that
// every key, and so every script's keys, is in one slot.
package fleet
