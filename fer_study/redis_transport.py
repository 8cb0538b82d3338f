"""kombu's Redis transport, with one fix to how Celery 5.7.0 / kombu 5.7.0 recover from a lost broker.

On a connection error the worker `collect()`s the broken connection (celery/celery#10242), which
detaches its transport: `transport.client = None`. The connection's channels outlive that: closing the
default channel restores its unacknowledged messages, and a task that finishes after the reconnect
acknowledges its message, both through the old channel, which builds a new Redis client from
`transport.client`: `AttributeError: 'NoneType' object has no attribute 'hostname'`. That is not a
connection error, so kombu's `ignore_errors` and Celery's "Couldn't ack" handling let it through and
the worker exits with "Unrecoverable error" (3 of 14 Redis kills in issue 13, with or without gossip,
mingle and heartbeat). Here such a channel raises the connection error it is: the close goes on, the
acknowledgement is logged as lost, Redis re-delivers the message after the visibility timeout, and
the sweeper re-sends a lost classification.

Selected by CELERY_BROKER_TRANSPORT. Remove it when kombu no longer reaches a detached transport;
tests/reliability/test_front_door.py kills Redis under load and fails without it.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("this channel's broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
