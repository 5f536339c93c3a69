from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # Sanctions apply to every way of posting, without `tickets` importing `moderation`.
        # Imported here, not at the top: services import models, which the app registry only
        # allows once every app is loaded (that is, in ready()).
        from moderation import selectors, services
        from moderation.services import casework_audit, merge_audit, takedown_audit
        from tickets import feeds, identity
        from tickets import services as ticket_services

        ticket_services.register_posting_policy(services.posting_policy)
        ticket_services.register_comment_listener(services.on_comment_created)
        # Casework: reroutes, merges and unmerges are audited.
        ticket_services.register_event_listener(casework_audit.on_ticket_event)
        ticket_services.register_event_listener(merge_audit.on_ticket_event)
        # Takedown: every ticket hidden or restored, by any caller, is audited.
        ticket_services.register_ticket_visibility_listener(takedown_audit.on_ticket_visibility)
        # Salts that active address sanctions need survive the daily rotation.
        identity.register_salt_keeper(selectors.salt_days_in_use)
        # An event's RSS/Atom feed carries its announcements.
        feeds.register_event_feed_extra(selectors.announcement_entries)
