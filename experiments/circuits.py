"""Fail fast while Redis is known to be down, instead of waiting on it in every request.

A frozen Redis (or one behind a broken network) accepts connections and then answers nothing: each
call waits for its socket timeout. A circuit that saw a failure stays open for `open_for` seconds,
during which callers skip Redis at once (the rate limit lets the request through, the photo's
classification waits for the sweeper); then the next call tries again. One circuit per process and
service, so a frozen Redis costs each web process one timeout per `open_for` seconds.

>>> circuit = Circuit("example", open_for=30)
>>> circuit.allows(now=0.0)
True
>>> circuit.trip(ConnectionError("refused"), now=0.0)
>>> circuit.allows(now=29.0), circuit.allows(now=30.0)
(False, True)
"""

import logging
import time

import kombu.exceptions
import redis.exceptions

log = logging.getLogger(__name__)

# What a Redis that is down, frozen or unreachable raises through redis-py (cache) and kombu (broker).
REDIS_ERRORS = (redis.exceptions.RedisError, kombu.exceptions.OperationalError, OSError)


class Circuit:
    def __init__(self, name: str, *, open_for: float):
        self.name = name
        self.open_for = open_for
        self.open_until = 0.0

    def allows(self, *, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self.open_until

    def trip(self, error: BaseException, *, now: float | None = None) -> None:
        if self.allows(now=now):  # log once per opening, not once per skipped call
            log.warning("%s is unreachable (%s: %s); not waiting on it for %d s", self.name,
                        type(error).__name__, error, self.open_for)
        self.open_until = (time.monotonic() if now is None else now) + self.open_for


cache_circuit = Circuit("the cache (Redis)", open_for=30)
broker_circuit = Circuit("the broker (Redis)", open_for=30)
