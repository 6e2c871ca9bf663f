"""The notification queue in Redis: shared by replicas on several hosts.

Each step is one Lua script, so it is atomic across every process on every host. The keys:

- ``{prefix}ready``: the patients due now, scored by when they were queued;
- ``{prefix}waiting``: the patients whose failed re-sync waits to retry, scored by when it may;
- ``{prefix}leased``: the patients claimed, scored by when the lease ends;
- ``{prefix}entry:{patient}``: a hash of the entry: ``g`` generation, ``a`` failed attempts,
  ``o`` owner (empty unless leased), ``e`` when queued.

A patient is in exactly one of the three sets while its entry exists, so their sizes add up to
the queue's. A claim takes, of the ready, the waiting whose time has come and the leased whose
lease has ended, the one queued first (as the SQLite queue does). Only retries and leases read
the clock (the callers'; hosts keep their clocks in step, and a lease is at least 10 s): a new
entry is due at once whichever host's clock queued it. Redis is the store: whether the queue
survives a Redis restart is the server's persistence (AOF or RDB), which the operator chooses.
The scripts build entry keys from the prefix, so one Redis server (or a Sentinel primary), not a
Cluster. Errors are reported by type only: the URL may hold a password.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from adapter.errors import StorageError
from adapter.extras import require
from adapter.sync.notify.queue import Claim

if TYPE_CHECKING:
    import redis

__all__ = ["RedisNotificationQueue"]

log = logging.getLogger("spinemets.notify")

# Every script: KEYS ready, waiting, leased[, entry] · entry key prefix first in ARGV.
_PUT = """
local entry = KEYS[4]
if redis.call('EXISTS', entry) == 1 then
  redis.call('HINCRBY', entry, 'g', 1)
  if redis.call('HGET', entry, 'o') == '' then
    -- waiting, perhaps to retry after a failure: this is news, so it is due now
    redis.call('HSET', entry, 'a', 0)
    redis.call('ZREM', KEYS[2], ARGV[2])
    redis.call('ZADD', KEYS[1], redis.call('HGET', entry, 'e'), ARGV[2])
  end
  return 1
end
local size = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
  + redis.call('ZCARD', KEYS[3])
if size >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', entry, 'g', 1, 'a', 0, 'o', '', 'e', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
"""  # ARGV: prefix, patient, now, limit

_CLAIM = """
local best, queued, from
local function consider(key, patient)
  if patient then
    local e = tonumber(redis.call('HGET', ARGV[1] .. patient, 'e'))
    if not best or e < queued then
      best, queued, from = patient, e, key
    end
  end
end
consider(KEYS[1], redis.call('ZRANGE', KEYS[1], 0, 0)[1])
consider(KEYS[2], redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, 1)[1])
consider(KEYS[3], redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[2], 'LIMIT', 0, 1)[1])
if not best then
  return false
end
local entry = ARGV[1] .. best
redis.call('ZREM', from, best)
redis.call('ZADD', KEYS[3], ARGV[4], best)
redis.call('HSET', entry, 'o', ARGV[3])
return {best, redis.call('HGET', entry, 'g'), redis.call('HGET', entry, 'a')}
"""  # ARGV: prefix, now, owner, lease end

_RENEW = """
local ends = redis.call('ZSCORE', KEYS[3], ARGV[2])
if redis.call('HGET', KEYS[4], 'o') ~= ARGV[3] or not ends then
  return 0
end
if tonumber(ends) <= tonumber(ARGV[4]) then
  return 0  -- ended: another worker may have it already
end
redis.call('ZADD', KEYS[3], 'XX', ARGV[5], ARGV[2])
return 1
"""  # ARGV: prefix, patient, owner, now, lease end

# Shared by done and failed (ARGV: prefix, patient, owner, generation, ...).
_AGAIN = """
local entry = KEYS[4]
local function again(attempts, retry_at)
  redis.call('HSET', entry, 'o', '', 'a', attempts)
  redis.call('ZREM', KEYS[3], ARGV[2])
  if retry_at then
    redis.call('ZADD', KEYS[2], retry_at, ARGV[2])
  else
    redis.call('ZADD', KEYS[1], redis.call('HGET', entry, 'e'), ARGV[2])
  end
end
local function forget()
  redis.call('DEL', entry)
  redis.call('ZREM', KEYS[3], ARGV[2])
end
local mine = redis.call('HGET', entry, 'o') == ARGV[3]
local same = redis.call('HGET', entry, 'g') == ARGV[4]
"""

_DONE = (
    _AGAIN
    + """
if mine and same then
  forget()
elseif mine then
  again(0, nil)  -- notified again meanwhile: once more, now
end
return 1
"""
)

_FAILED = (
    _AGAIN
    + """
local last = tonumber(ARGV[5]) + 1 >= tonumber(ARGV[6])
if not mine then
  return last and 0 or 1
end
if not same then
  again(0, nil)  -- notified again meanwhile: new data, try now
  return 1
end
if last then
  forget()
  return 0
end
again(tonumber(ARGV[5]) + 1, ARGV[7])
return 1
"""
)  # ARGV: ..., attempts so far, attempts allowed, retry at

_RELEASE = """
for _, patient in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local entry = ARGV[1] .. patient
  if redis.call('HGET', entry, 'o') == ARGV[2] then
    redis.call('HSET', entry, 'o', '')
    redis.call('ZREM', KEYS[3], patient)
    redis.call('ZADD', KEYS[1], redis.call('HGET', entry, 'e'), patient)
  end
end
return 1
"""  # ARGV: prefix, owner

_SIZE = """
return redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
"""


class RedisNotificationQueue:
    """The notification queue of every process on every host: one Redis server."""

    def __init__(
        self, url: str, *, limit: int, prefix: str = "spinemets:notify:", timeout: float = 5.0
    ) -> None:
        self.url, self.limit, self.prefix, self.timeout = url, limit, prefix, timeout
        self._sets = [f"{prefix}{name}" for name in ("ready", "waiting", "leased")]
        self._entries = f"{prefix}entry:"
        self._redis: redis.Redis | None = None
        self._scripts: dict[str, Any] = {}

    def open(self) -> None:
        """Connect, prove the server takes writes and runs scripts; StorageError if not."""
        require("redis", "a Redis notification queue")
        import redis  # imported on demand: only replicas on several hosts need it
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        try:
            client = redis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                # Once, on a dropped connection (a Redis restart), never on a timeout: a script
                # may have run, and running it twice could lease a second patient.
                retry=Retry(
                    ExponentialBackoff(cap=0.5, base=0.05),
                    1,
                    supported_errors=(redis.ConnectionError,),
                ),
            )
            scripts = {name: client.register_script(lua) for name, lua in _SCRIPTS.items()}
            client.set(f"{self.prefix}probe", "1", px=10_000)  # a read-only replica fails here
            for script in scripts.values():
                client.script_load(script.script)
        except (redis.RedisError, OSError, ValueError) as exc:
            raise StorageError(f"notification queue (Redis): {type(exc).__name__}") from None
        self._redis, self._scripts = client, scripts
        self._warn_on_eviction(client)

    @staticmethod
    def _warn_on_eviction(client: redis.Redis) -> None:
        """An ``allkeys-*`` eviction policy may drop queued patients when memory runs out."""
        import redis

        try:
            policy = str(client.info("memory").get("maxmemory_policy", ""))
        except redis.RedisError:  # INFO may be forbidden by an ACL: nothing to say then
            return
        if policy.startswith("allkeys"):
            log.warning(
                "Redis maxmemory-policy is %s: queued notifications may be evicted "
                "(use noeviction)",
                policy,
            )

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    def _run(self, name: str, keys: list[str], args: Sequence[str | int | float]) -> Any:
        import redis

        if self._redis is None:
            raise StorageError("the notification queue is not open")
        try:
            return self._scripts[name](keys=keys, args=args)
        except (redis.RedisError, OSError) as exc:
            raise StorageError(f"notification queue (Redis): {type(exc).__name__}") from None

    def _keys(self, patient: str) -> list[str]:
        return [*self._sets, f"{self._entries}{patient}"]

    def put(self, patient: str, now: float) -> bool:
        args = (self._entries, patient, repr(now), self.limit)
        return bool(self._run("put", self._keys(patient), args))

    def claim(self, owner: str, now: float, lease: float) -> Claim | None:
        args = (self._entries, repr(now), owner, repr(now + lease))
        found = self._run("claim", self._sets, args)
        if not found:
            return None
        patient, generation, attempts = found
        return Claim(str(patient), int(generation), int(attempts), owner)

    def renew(self, claim: Claim, now: float, lease: float) -> bool:
        args = (self._entries, claim.patient, claim.owner, repr(now), repr(now + lease))
        return bool(self._run("renew", self._keys(claim.patient), args))

    def done(self, claim: Claim) -> None:
        args = (self._entries, claim.patient, claim.owner, claim.generation)
        self._run("done", self._keys(claim.patient), args)

    def failed(self, claim: Claim, retry_at: float, attempts: int) -> bool:
        args = (
            self._entries,
            claim.patient,
            claim.owner,
            claim.generation,
            claim.attempts,
            attempts,
            repr(retry_at),
        )
        return bool(self._run("failed", self._keys(claim.patient), args))

    def release(self, owner: str) -> None:
        self._run("release", self._sets, (self._entries, owner))

    def size(self) -> int:
        return int(self._run("size", self._sets, ()))


_SCRIPTS = {
    "put": _PUT,
    "claim": _CLAIM,
    "renew": _RENEW,
    "done": _DONE,
    "failed": _FAILED,
    "release": _RELEASE,
    "size": _SIZE,
}
