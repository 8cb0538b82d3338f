"""gunicorn settings for the web container, read from the working directory
(https://docs.gunicorn.org/en/stable/settings.html).

gthread workers: each process serves WEB_THREADS requests at once, so a few slow clients cannot hold
every worker, as they did with the sync workers (benchmarks/slow_clients.py). The reverse proxy in
front buffers whole requests, so in the full stack gunicorn only ever sees complete ones.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_PROCESSES", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle processes now and then; the jitter keeps them from restarting together
max_requests_jitter = 200
accesslog = "-"
