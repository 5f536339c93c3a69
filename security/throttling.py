"""What django-axes records as a login attempt's "IP address": a pseudonymous IPv6 address
derived from the daily-salted hash of the real one (tickets.identity.hash_ip). Attempts from
one address on one day map to the same value, so the lockout works; the raw address is never
stored, and once the day's salt is destroyed the value cannot be linked back to it."""

from __future__ import annotations

import ipaddress
from typing import Any

from tickets.identity import client_ip, hash_ip

# fd00::/8 is the unique-local range: a value there can never be a real public address.
_PREFIX = 0xFD << 120


def pseudonymous_client_address(request: Any) -> str:
    digest = hash_ip(client_ip(request))
    value = _PREFIX | (int(digest[:30], 16) & ((1 << 120) - 1))
    return str(ipaddress.IPv6Address(value))
