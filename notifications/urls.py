from django.urls import path

from notifications import account_views, api, views

app_name = "notifications"

urlpatterns = [
    # Before django.contrib.auth.urls (tickets.urls): the reset mail goes through the outbox.
    path(
        "accounts/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path("accounts/verify/<str:token>/", account_views.verify_email, name="verify-email"),
    path("accounts/verify-again/", account_views.verify_email_again, name="verify-again"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/confirm/<str:token>/", views.alert_confirm, name="alert-confirm"),
    path("alerts/unsubscribe/<str:token>/", views.alert_unsubscribe, name="alert-unsubscribe"),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read/", views.inbox_read, name="inbox-read"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/unfollow/<str:token>/", views.unfollow, name="unfollow"),
    path("notifications/fixed/<str:token>/yes/", views.fixed_yes, name="fixed-yes"),
    path("notifications/fixed/<str:token>/no/", views.fixed_no, name="fixed-no"),
    path("api/v1/notifications/", api.NotificationList.as_view(), name="api-list"),
    path("api/v1/notifications/read/", api.MarkAllRead.as_view(), name="api-read-all"),
    path("api/v1/notifications/<int:pk>/read/", api.MarkOneRead.as_view(), name="api-read"),
    path("api/v1/push/subscriptions/", api.PushSubscriptions.as_view(), name="push-subscriptions"),
]
