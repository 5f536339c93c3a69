from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from project import favicon, pwa
from tickets import api

router = DefaultRouter(trailing_slash=True)
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("services", api.ServiceTypeViewSet, basename="service")

# A database that is down answers 503 with a message, not a 500 (project/errors.py).
handler500 = "project.errors.server_error"

urlpatterns = [
    # Two-step login, 2FA, my data, anonymise; overrides the plain login and token views.
    path("", include("security.urls")),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/exports/", include("tickets.exports")),
    path("api/v1/", include("moderation.urls")),
    path("api/v1/", include(router.urls)),
    path("open311/v2/", include("tickets.open311_urls")),
    path("feeds/", include("tickets.feeds")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Installable app and offline pages (issue #16, docs/offline.md).
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("offline/", pwa.offline, name="pwa-offline"),
    # Dates, words and the storm banner (issue 18, docs/ui.md): the icon browsers ask for.
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("", include("moderation.page_urls")),
    path("", include("notifications.urls")),
    path("", include("tickets.urls")),
]

if settings.FIXLINE.get("SERVE_MEDIA") and settings.MEDIA_URL.startswith("/"):
    # Uploaded photos in the embedded default (production: a storage with its own URLs).
    from tickets.media import serve_media

    urlpatterns.insert(0, path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", serve_media))
