"""Django's SQLite backend with the process's connections kept and lent again (the embedded
default, `make run`), as `project.postgresql` does through its pool.

Why: under daphne every request runs in a thread of its own and Django's connections belong to
a thread (project/database.py), so every request opened a new SQLite connection (Django
registers its ~30 SQL functions and runs the foreign-key and WAL pragmas: 1.1 ms on an idle
core) and closed it after its answer. In the fan-out bench's daphne that opening and closing was
~12 % of the process's samples (py-spy; docs/performance.md, "The write path", round 6).

Only the sqlite3 connection is reused, never the Django wrapper's state (`connect()` sets
autocommit again on each loan). A connection goes back only outside any transaction; one closed
inside an atomic block (Django keeps a reference to it then) is really closed. A database file
deleted and made again (a test database) is noticed by its inode: its old connections are
closed, not lent. In-memory databases are never pooled (Django never closes them)."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

IDLE_MAX = 16  # connections kept per database file; more are closed
# Kept connections never close, so SQLite's own checkpoint (when the last connection closes)
# no longer runs, and its automatic one runs inside a commit every 1,000 WAL pages: before that
# comment's broadcast (+15 ms on the fan-out bench's slowest comments). A connection given back
# checkpoints instead, after its request's broadcast, every CHECKPOINT_EVERY loans of this
# process; the automatic one stays as a net, further away.
CHECKPOINT_EVERY = 100
AUTOCHECKPOINT_PAGES = 10_000

_lock = threading.Lock()
# database file -> idle (connection, the file's inode when it was opened)
_idle: dict[str, list[tuple[sqlite3.Connection, int]]] = {}
_pid = os.getpid()
# A forked child keeps its parent's connections referenced and never uses or closes them:
# closing one there could checkpoint the parent's WAL (SQLite: no connection across a fork).
_inherited: list[tuple[sqlite3.Connection, int]] = []
_given = 0


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


def _take(path: str) -> tuple[sqlite3.Connection, int] | None:
    """An idle connection to the file as it is now, and its inode; None when there is none."""
    global _pid
    stale: list[sqlite3.Connection] = []
    found = None
    with _lock:
        if _pid != os.getpid():
            _pid = os.getpid()
            for kept in _idle.values():
                _inherited.extend(kept)
            _idle.clear()
        idle = _idle.get(path)
        if idle:
            inode = _inode(path)
            while idle and found is None:
                conn, opened = idle.pop()
                if opened == inode:
                    found = (conn, inode)
                else:
                    stale.append(conn)
    for conn in stale:
        conn.close()
    return found


def _give(path: str, conn: sqlite3.Connection, inode: int) -> bool:
    global _given
    with _lock:
        if _pid != os.getpid():
            return False
        _given += 1
        due = _given % CHECKPOINT_EVERY == 0
    if due:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for readers
        except sqlite3.Error:
            pass  # the automatic checkpoint stays as the net
    with _lock:
        idle = _idle.setdefault(path, [])
        if len(idle) >= IDLE_MAX:
            return False
        idle.append((conn, inode))
        return True


def idle_count(path: str) -> int:
    with _lock:
        return len(_idle.get(path, ()))


class DatabaseWrapper(SQLiteWrapper):
    _inode: int = -1

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        path = str(self.settings_dict["NAME"])
        if not self.is_in_memory_db():
            lent = _take(path)
            if lent is not None:
                conn, self._inode = lent
                return conn
        conn = super().get_new_connection(conn_params)
        conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        self._inode = _inode(path)
        return conn

    def _close(self) -> None:
        conn = self.connection
        if (
            conn is None
            or self.in_atomic_block
            or conn.in_transaction
            or self.is_in_memory_db()
            or self._inode < 0
        ):
            super()._close()  # type: ignore[misc]  # Django's, not in django-stubs
            return
        if not _give(str(self.settings_dict["NAME"]), conn, self._inode):
            super()._close()  # type: ignore[misc]
