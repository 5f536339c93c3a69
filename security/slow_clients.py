"""Deadlines for slow clients under daphne (`make run`, the embedded default).

daphne has no limit on how long a client may take to send a request: Twisted's idle timer is
reset by every byte, so headers trickled one byte every few seconds hold a connection (and a
file descriptor) for hours, and `--http-timeout` only starts once the request is complete.
Here each HTTP connection gets two deadlines: its request headers must be complete within
FIXLINE["HTTP_HEADER_TIMEOUT"] seconds of the request's first byte (or of the connection
opening), and its body within HTTP_BODY_TIMEOUT of the headers; past either the connection
is closed. Behind nginx the same is enforced by `client_header_timeout` and
`client_body_timeout` (docs/deploy.md); this is the embedded default's own.

Installed by `project.asgi` when it is imported by daphne (`install()`): the hook wraps
daphne's HTTP factory, the only place where a connection's protocol is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

HTTP_BODY_TIMEOUT = 300  # photos: 3 × 8 MB over a slow uplink


def _seconds() -> int:
    options: Mapping[str, Any] = settings.FIXLINE
    return int(options.get("HTTP_HEADER_TIMEOUT", 10))


class Deadline:
    """One connection's current deadline (headers, then body); none while a request is
    being answered or the connection is a WebSocket."""

    def __init__(self, channel: Any, header_seconds: int, call_later: Callable[..., Any]) -> None:
        self.channel = channel
        self.header_seconds = header_seconds
        self.call_later = call_later
        self.timer: Any = None
        line_received = channel.lineReceived
        headers_done = channel.allHeadersReceived
        content_done = channel.allContentReceived
        connection_lost = channel.connectionLost

        def on_line(line: bytes) -> Any:
            if self.timer is None and not channel._handlingRequest:
                self.start(self.header_seconds)  # the first line of a kept-alive request
            return line_received(line)

        def on_headers() -> Any:
            self.start(HTTP_BODY_TIMEOUT)
            return headers_done()

        def on_content() -> Any:
            self.cancel()
            return content_done()

        def on_lost(reason: Any) -> Any:
            self.cancel()
            return connection_lost(reason)

        channel.lineReceived = on_line
        channel.allHeadersReceived = on_headers
        channel.allContentReceived = on_content
        channel.connectionLost = on_lost
        self.start(header_seconds)  # a connection that sends nothing at all

    def start(self, seconds: int) -> None:
        self.cancel()
        self.timer = self.call_later(seconds, self.expire)

    def cancel(self) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None

    def expire(self) -> None:
        self.timer = None
        transport = getattr(self.channel, "transport", None)
        if transport is not None:
            transport.abortConnection()


def install() -> bool:
    """Wrap daphne's HTTP factory (once). False when not running under daphne or turned off."""
    seconds = _seconds()
    if seconds <= 0:
        return False
    try:
        from daphne import http_protocol  # only under daphne
        from twisted.internet import reactor
    except ImportError:
        return False
    factory = http_protocol.HTTPFactory
    if getattr(factory, "_fixline_deadlines", False):
        return True
    build = factory.buildProtocol

    def build_protocol(self: Any, addr: Any) -> Any:
        protocol = build(self, addr)
        # Twisted wraps the HTTP/1.1 channel in a negotiating protocol (HTTP/2 by ALPN).
        channel = getattr(protocol, "_channel", protocol)
        Deadline(channel, seconds, reactor.callLater)
        return protocol

    factory.buildProtocol = build_protocol
    factory._fixline_deadlines = True
    return True
