"""The embedded default's task worker (`FIXLINE_EMBEDDED_WORKER=1`, set by `make run`): a child
process of daphne, and a thread in daphne that relays what the worker publishes.

Why a process: a job is CPU work (a comment on a ticket with 100 followers: ~40 ms), and as a
thread of daphne the worker held daphne's interpreter lock through a storm: a comment POST's
p50 was 22 ms against 8.8 ms with the worker in a process of its own (docs/performance.md,
"The write path", round 4). Why the relay: the worker pushes (the bell, `notifications.inapp`)
through the channel layer, and the embedded in-memory layer reaches only the sockets of
daphne's process. So the child hands every message it publishes (`realtime.publish.send_many`)
through a pipe, and daphne's relay thread publishes it there. Production runs
`manage.py db_worker` as its own unit, with Redis between them (docs/deploy.md); the child runs
the same django-tasks `Worker` loop."""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between polls when idle: the bell within about half a second
RESTART_AFTER = 1.0  # seconds before a worker process that died is started again

# Set when daphne's interpreter exits. multiprocessing's own exit handler then terminates the
# worker (a daemonic child): that is daphne stopping, not the worker dying, and nothing is
# restarted or logged as an error. atexit runs handlers last registered first, and this module
# registers after multiprocessing has.
_stopping = threading.Event()
atexit.register(_stopping.set)


def _serve() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

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
    # As `db_worker`: SIGTERM (daphne stopping) or Ctrl-C (`make run`) ends the current job, then
    # the process.
    worker.configure_signals()
    while True:
        try:
            worker.run()
            return
        except Exception:  # a database hiccup must not end the only worker
            log.exception("embedded task worker failed; restarting in 1 s")
            time.sleep(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # daphne is gone (even by kill -9): so is its worker


def _child(pipe: Connection, parent: int) -> None:
    """The worker's process (spawned: a fresh interpreter, Django set up again)."""
    os.environ["FIXLINE_EMBEDDED_WORKER"] = "0"
    import django

    django.setup()
    from realtime import publish  # this module is unpickled in the child before Django is set up

    publish.relay_to(pipe.send)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _serve()


def _spawn() -> tuple[BaseProcess, Connection]:
    # spawn, not fork: daphne's reactor, threads and open sockets stay out of the child.
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(send, os.getpid()), name="fixline-worker", daemon=True
    )
    process.start()
    send.close()  # only the child writes: its end closing is the relay's EOF
    return process, receive


def _relay(process: BaseProcess, pipe: Connection) -> None:
    from realtime import publish  # as in _child: this module loads before Django is set up

    while True:
        try:
            items: Any = pipe.recv()
        except (EOFError, OSError):  # the worker's process ended
            process.join(5)
            # Asked to stop (Ctrl-C reaches both), or ended with daphne's interpreter.
            if process.exitcode == 0 or _stopping.is_set():
                return
            log.error("embedded task worker died (%s); restarting", process.exitcode)
            time.sleep(RESTART_AFTER)
            process, pipe = _spawn()
            continue
        publish.send_many(items)


def start() -> BaseProcess:
    process, pipe = _spawn()
    relay = threading.Thread(
        target=_relay, args=(process, pipe), name="fixline-worker-relay", daemon=True
    )
    relay.start()
    return process
