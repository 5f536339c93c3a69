from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        # Imported here, not at the top: tickets.counters reaches the models (through the
        # write layer), which Django loads only after the app configs.
        from tickets import banner, counters, pagecache

        counters.register()
        pagecache.register()
        banner.register()
