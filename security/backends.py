"""django-axes' lockout check, tolerant of callers that pass no request (Django's test
`Client.login`, management commands). Every web path — the login form, the admin (which
redirects to it) and the API token endpoint — passes its request and is throttled."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(
        self, request: Any, username: Any = None, password: Any = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None  # nothing to throttle on; the next backend authenticates
        return super().authenticate(request, username, password, **kwargs)
