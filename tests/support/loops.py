"""The end of an async test: the tasks it left on its event loop, and the database
connections its `sync_to_async` calls opened in asgiref's thread."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.db import connections


async def end_background_work() -> None:
    """Cancel the fan-out, flusher and consumer tasks the test started, then close the
    database connections of the thread its thread-sensitive `sync_to_async` calls ran in.
    That thread outlives the test and keeps its connection (CONN_MAX_AGE, or a loan from
    PostgreSQL's pool that only a close returns): left open, the test database cannot be
    dropped at the end of the run."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sync_to_async(connections.close_all)()
