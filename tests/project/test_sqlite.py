"""The embedded default's SQLite backend lends a closed connection to the next request instead
of opening a new one (project/sqlite/base.py), and never lends one it should not."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction

from project.sqlite import base
from project.sqlite.base import DatabaseWrapper


@pytest.fixture
def sqlite_file(tmp_path: Path, django_db_blocker: Any) -> Any:
    """A database file of the test's own (not the test database), its pool emptied after."""
    path = str(tmp_path / "fixline-pool.sqlite3")
    with django_db_blocker.unblock():
        yield path
    with base._lock:
        for conn, _inode in base._idle.pop(path, []):
            conn.close()


def wrapper(path: str) -> DatabaseWrapper:
    """A connection to `path`, configured as settings.DATABASES does (defaults filled in)."""
    settings = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            "pool": {
                "ENGINE": "project.sqlite",
                "NAME": path,
                "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            },
        }
    )["pool"]
    return DatabaseWrapper(settings, alias="pool")


def raw(db: DatabaseWrapper) -> Any:
    db.ensure_connection()
    return db.connection


def in_thread(fn: Any) -> Any:
    """Run `fn` in a new thread, as daphne runs each request in a thread of its own."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_a_closed_connection_is_lent_to_the_next_request_in_another_thread(
    sqlite_file: str,
) -> None:
    first = wrapper(sqlite_file)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE note (body TEXT)")
        cursor.execute("INSERT INTO note VALUES ('kept')")
    conn = first.connection
    first.close()
    assert base.idle_count(sqlite_file) == 1

    def next_request() -> tuple[Any, list[Any]]:
        db = wrapper(sqlite_file)
        with db.cursor() as cursor:
            cursor.execute("SELECT body FROM note")
            rows = cursor.fetchall()
        lent = db.connection
        db.close()
        return lent, rows

    lent, rows = in_thread(next_request)
    assert lent is conn  # the same sqlite3 connection, not a new one
    assert rows == [("kept",)]
    assert base.idle_count(sqlite_file) == 1


def test_a_lent_connection_is_in_autocommit_and_writes_are_seen_by_others(
    sqlite_file: str,
) -> None:
    setup = wrapper(sqlite_file)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE note (body TEXT)")
    setup.close()
    writer = wrapper(sqlite_file)
    with writer.cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES ('committed')")
    assert writer.get_autocommit()
    assert not writer.connection.in_transaction
    reader = wrapper(sqlite_file)  # a connection of its own: the writer's is still held
    with reader.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (1,)
    writer.close()
    reader.close()


def test_a_connection_closed_inside_a_transaction_is_really_closed_and_never_lent(
    sqlite_file: str,
) -> None:
    db = wrapper(sqlite_file)
    conn = raw(db)
    connections["pool"] = db  # so that `atomic(using="pool")` finds this wrapper
    try:
        with transaction.atomic(using="pool"):
            conn.execute("CREATE TABLE draft (x INTEGER)")
            db.close()  # Django keeps its reference to the connection until the block ends
    finally:
        del connections["pool"]
    assert base.idle_count(sqlite_file) == 0
    other = wrapper(sqlite_file)
    assert raw(other) is not conn
    with pytest.raises(Exception, match="closed"):
        conn.execute("SELECT 1")
    with other.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'draft'")
        assert cursor.fetchone() == (0,)
    other.close()


def test_an_uncommitted_connection_is_closed_not_lent(sqlite_file: str) -> None:
    db = wrapper(sqlite_file)
    conn = raw(db)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE draft (x INTEGER)")
    db.close()
    assert base.idle_count(sqlite_file) == 0
    fresh = wrapper(sqlite_file)
    with fresh.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'draft'")
        assert cursor.fetchone() == (0,)  # rolled back with the closed connection
    fresh.close()


def test_a_database_file_made_again_gets_new_connections(sqlite_file: str) -> None:
    old = wrapper(sqlite_file)
    with old.cursor() as cursor:
        cursor.execute("CREATE TABLE old_table (x INTEGER)")
    stale = old.connection
    old.close()
    assert base.idle_count(sqlite_file) == 1
    for suffix in ("", "-wal", "-shm"):
        Path(sqlite_file + suffix).unlink(missing_ok=True)
    Path(sqlite_file).touch()  # a new file under the same name (a new test database)

    new = wrapper(sqlite_file)
    assert raw(new) is not stale
    with new.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'old_table'")
        assert cursor.fetchone() == (0,)
    new.close()


def test_at_most_idle_max_connections_are_kept(
    sqlite_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "IDLE_MAX", 2)
    held = [wrapper(sqlite_file) for _ in range(3)]
    conns = [raw(db) for db in held]
    for db in held:
        db.close()
    assert base.idle_count(sqlite_file) == 2
    with pytest.raises(Exception, match="closed"):
        conns[2].execute("SELECT 1")  # the third was closed


def test_a_forked_child_never_gets_its_parents_connections(
    sqlite_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = wrapper(sqlite_file)
    parents = raw(db)
    db.close()
    assert base.idle_count(sqlite_file) == 1
    # This file's connections only (the suite's own test database has idle ones too).
    monkeypatch.setattr(base, "_idle", {sqlite_file: base._idle.pop(sqlite_file)})
    monkeypatch.setattr(base, "_pid", -1)  # as the child of a fork sees it
    monkeypatch.setattr(base, "_inherited", [])
    child = wrapper(sqlite_file)
    assert raw(child) is not parents
    assert [conn for conn, _inode in base._inherited] == [parents]  # kept, never closed
    parents.execute("SELECT 1")  # still open: closing it could checkpoint the parent's WAL
    child.close()


def wal_database(path: str) -> DatabaseWrapper:
    db = wrapper(path)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE photo (data BLOB)")
        cursor.execute("INSERT INTO photo VALUES (zeroblob(200000))")
    return db


def test_commits_never_checkpoint_until_far_past_sqlites_default(sqlite_file: str) -> None:
    db = wal_database(sqlite_file)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (base.AUTOCHECKPOINT_PAGES,)
    # The 200 KB went to the WAL, not yet to the database file.
    assert Path(sqlite_file).stat().st_size < 100_000
    db.close()


def test_a_connection_given_back_checkpoints_every_so_many_loans(
    sqlite_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "CHECKPOINT_EVERY", 2)
    monkeypatch.setattr(base, "_given", 0)
    db = wal_database(sqlite_file)
    db.close()  # the first loan given back: not due
    assert Path(sqlite_file).stat().st_size < 100_000
    again = wrapper(sqlite_file)
    with again.cursor() as cursor:
        cursor.execute("SELECT length(data) FROM photo")
        assert cursor.fetchone() == (200000,)
    again.close()  # the second: checkpointed, after the request's work
    assert Path(sqlite_file).stat().st_size > 200_000
    assert base.idle_count(sqlite_file) == 1


def test_the_default_database_lends_its_connections_on_either_database() -> None:
    """SQLite (the embedded default) through this backend, PostgreSQL through its pool."""
    expected = {"sqlite": "project.sqlite", "postgresql": "project.postgresql"}
    default = connections["default"]
    assert default.settings_dict["ENGINE"] == expected[default.vendor]
