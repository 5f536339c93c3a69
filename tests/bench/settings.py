"""Fixline's settings plus one trivial view (`/bench/trivial/`): the local ceiling that the
ticket page's requests per second are compared with, served by the same daphne process."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
