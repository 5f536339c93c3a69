from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications import jobs
from notifications.models import AreaSubscription, Delivery, FixCheck, NotificationPreference


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "new_tickets", "email_updates"]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox, read-only; a message that was given up on can be retried."""

    actions = ["retry"]
    list_display = ["kind", "key", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["key"]
    readonly_fields = [
        "key", "recipient", "kind", "language", "subject", "body_text", "body_html", "headers",
        "attempts", "last_error", "created_at", "next_attempt_at", "sent_at",
    ]  # fmt: skip
    fields = tuple(readonly_fields)

    @admin.action(description="Retry the selected failed messages")
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        with transaction.atomic():
            for delivery in queryset.filter(status=Delivery.Status.FAILED):
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PENDING)
                jobs.send_delivery(delivery.pk)


@admin.register(AreaSubscription)
class AreaSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["pk", "jurisdiction", "created_at", "confirmed_at", "unsubscribed_at"]
    exclude = ["email"]  # an address is not for browsing; search finds it when asked
    search_fields = ["=email"]


@admin.register(FixCheck)
class FixCheckAdmin(admin.ModelAdmin):
    list_display = ["ticket", "close_seq", "asked_at", "answer", "answered_at"]
    raw_id_fields = ["ticket"]
