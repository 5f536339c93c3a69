"""Page-view load for tests/bench/test_views.py: `python -m tests.bench.views_load <ticket>
<rate> <seconds>` counts `rate` views a second, each from a new visitor, through the same
service call the ticket page makes (`tickets.services.ticket_view`), from 4 threads. Prints
the number of views counted."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


def main() -> None:
    import django

    django.setup()
    from tickets import services

    ticket, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    total = int(rate * seconds)
    start = time.monotonic()
    done = 0
    lock = threading.Lock()

    def worker(k: int) -> None:
        nonlocal done
        for i in range(k, total, 4):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            services.ticket_view(ticket_id=ticket, visitor_key=f"bench-{uuid.uuid4().hex}")
            with lock:
                done += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{done} {time.monotonic() - start:.2f}", flush=True)


if __name__ == "__main__":
    main()
