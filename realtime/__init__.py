"""Real-time infrastructure, with no knowledge of any domain app (tickets, moderation,
notifications import it, never the reverse):

* `events`: every message type, its payload (TypedDicts) and envelope; derived JSON Schemas;
* `publish`: the one way out to the sockets (groups, serialised once, sent after commit);
* `layers`: the in-memory channel layer and the per-process fan-out;
* `fastpath`: the broadcast fast path under daphne (prepared frames, direct writes);
* `consumers`: `BaseConsumer` (client frames, groups, fast path), close codes, 404;
* `seam`: the replay/live rule of a socket that replays a log;
* `counters`: views and presence, absorbed and flushed; the database side is registered by
  the tickets app (`register_flusher`).

The apps' consumers live with them (`tickets.consumers`, `moderation.consumers`,
`notifications.consumers`); the WebSocket URLs are mapped in `project/routing.py`.
"""
