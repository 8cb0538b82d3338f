"""The worker's consumer, with one fix to Celery 5.7.0's recovery from a lost broker connection.

On a connection error Celery 5.7.0 (celery/celery#10242) first `collect()`s the broken connection, which
detaches its transport (`transport.client = None`), then `close()`s it. If a task had finished but its
acknowledgement failed with the connection, the default channel still holds that message, and closing
the channel restores it through a new Redis client built from the detached transport:
`AttributeError: 'NoneType' object has no attribute 'hostname'` in kombu's `_connparams`. That is not a
connection error, so kombu's `ignore_errors` lets it through, and the worker exits with "Unrecoverable
error" (3 of 14 Redis kills in the issue; gossip, mingle and heartbeat play no part, it happens without
them too). Nothing can be restored over a dead connection anyway: Redis itself re-delivers an
unacknowledged message after the visibility timeout, and the sweeper re-sends a lost classification.

Remove this when Celery closes a collected connection safely; tests/reliability/test_front_door.py kills
Redis under load and fails without it.
"""

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

log = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        if self.connection is not None:
            self.connection.close = self._close_collected(self.connection)
        return super().on_connection_error_after_connected(exc)

    @staticmethod
    def _close_collected(connection):
        close = connection.close

        def close_collected():
            try:
                return close()
            except AttributeError as error:  # the transport was detached by collect(): nothing left to close
                log.warning("broker connection closed after it was collected (%s); carrying on", error)

        return close_collected
