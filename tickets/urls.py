from django.contrib.auth import views as auth_views
from django.urls import include, path

from tickets import api_merging, dashboard, embed, views
from tickets.views import merging, mine
from tickets.views.casework import ticket_casework

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/comment/", views.ticket_comment, name="ticket-comment"),
    path("tickets/<int:pk>/react/", views.ticket_react, name="ticket-react"),
    path("tickets/<int:pk>/transition/", views.ticket_transition, name="ticket-transition"),
    path("tickets/<int:pk>/actions/", views.ticket_actions, name="ticket-actions"),
    path("embed/", embed.widget, name="embed"),
    path("widget/", embed.widget_docs, name="embed-docs"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/queue/", dashboard.dashboard_queue, name="dashboard-queue"),
    path("dashboard/bulk/", dashboard.dashboard_bulk, name="dashboard-bulk"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Casework (staff of the ticket's jurisdiction): the ticket page's panel posts here.
    path("tickets/<int:pk>/casework/", ticket_casework, name="ticket-casework"),
    # Casework: duplicates (API and the ticket page's forms) and a citizen's own tickets.
    path("api/v1/tickets/<int:pk>/merge/", api_merging.merge, name="api-ticket-merge"),
    path("api/v1/tickets/<int:pk>/unmerge/", api_merging.unmerge, name="api-ticket-unmerge"),
    path("tickets/<int:pk>/merge/", merging.ticket_merge, name="ticket-merge"),
    path("tickets/<int:pk>/unmerge/", merging.ticket_unmerge, name="ticket-unmerge"),
    path("me/reports/", mine.my_reports, name="my-reports"),
    path("me/following/", mine.my_following, name="my-following"),
]
