from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security and privacy"

    def ready(self) -> None:
        # Connects the receivers that make open sockets re-check their session.
        from security import sessions  # noqa: F401
