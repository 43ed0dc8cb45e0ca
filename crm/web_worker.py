"""gunicorn's worker for crm.asgi: uvicorn's, with the client address left as the socket's peer (the application
reads X-Forwarded-For itself, only through TRUSTED_PROXIES)."""

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": "auto", "proxy_headers": False}
