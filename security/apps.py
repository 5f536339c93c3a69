from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security and privacy"

    def ready(self) -> None:
        # Imported here: they load models, which Django allows only once the registry is ready.
        # `sessions` connects the receivers that make open sockets re-check their session.
        from security import sessions, tokens  # noqa: F401

        tokens.connect()
