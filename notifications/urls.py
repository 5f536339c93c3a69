from django.urls import path

from notifications import api, views

app_name = "notifications"

urlpatterns = [
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
