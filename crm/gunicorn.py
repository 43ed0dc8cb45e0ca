"""The web server's configuration, the same for `make run` and production: `gunicorn -c crm/gunicorn.py crm.wsgi`.

Threaded workers: a request that waits on the database or on password hashing does not hold a whole process,
and connections beyond the busy threads wait in the listen backlog instead of being refused or reset.
"""

import os

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
# Processes: WEB_CONCURRENCY, as every platform that runs gunicorn sets it; two per core is the usual start.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
# Connections accepted but not yet served wait here; 100 concurrent clients must never be refused or reset.
backlog = int(os.environ.get("WEB_BACKLOG") or 2048)
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart at once).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS") or 2000)
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Behind a proxy the client's address is read from X-Forwarded-For by the app's trusted-proxy rule, not here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
