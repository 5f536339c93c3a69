"""The embedded default's task worker, inside daphne's process (`FIXLINE_EMBEDDED_WORKER=1`,
set by `make run`).

Why in the same process: the worker pushes what it writes to people's open pages (the bell,
`notifications.inapp`) through the channel layer, and the embedded in-memory layer reaches only
the sockets of its own process. Production runs `manage.py db_worker` as its own unit, with
Redis between them (docs/deploy.md); this thread is the same django-tasks `Worker` loop."""

from __future__ import annotations

import logging
import threading
import time

from django_tasks_db.management.commands.db_worker import Worker

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between polls when idle: the bell within about half a second


def _serve(worker: Worker) -> None:
    while True:
        try:
            worker.run()
            return
        except Exception:  # a database hiccup must not end the process's only worker
            log.exception("embedded task worker failed; restarting in 1 s")
            time.sleep(1)


def start() -> threading.Thread:
    worker = Worker(
        queue_names=["default"],
        interval=INTERVAL,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="embedded",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=_serve, args=(worker,), name="fixline-worker", daemon=True)
    thread.start()
    return thread
