from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security and privacy"

    def ready(self) -> None:
        # Imported here: it loads models, which Django allows only once the registry is ready.
        from security import tokens

        tokens.connect()
