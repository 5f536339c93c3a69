from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django only allows
        # once the app registry is ready.
        from notifications import jobs, listeners, tasks
        from tickets import services
        from tickets.views.signup import signed_up

        jobs.register(
            tasks.send_delivery,
            tasks.process_event,
            tasks.flush_batch,
            tasks.ask_is_it_fixed,
            tasks.password_reset_mail,
        )
        jobs.register(tasks.send_push)  # Web Push (notifications/push.py)
        # A reporter's address verified after the report: its receipt (issue 18).
        jobs.register(tasks.receipts_after_verification)
        services.register_event_listener(listeners.on_ticket_event)
        signed_up.connect(listeners.on_signed_up, dispatch_uid="notifications.verify")
