"""Account security and privacy URLs. Included before `tickets.urls` and the admin, so that
`/accounts/login/` and `/admin/login/` are the two-step login."""

from django.urls import path

from security import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/login/verify/", views.login_otp, name="login-otp"),
    path("accounts/two-factor/", views.two_factor, name="two-factor"),
    path("accounts/data/", views.my_data, name="my-data"),
    path("accounts/anonymise/", views.anonymise, name="anonymise"),
    path("admin/login/", views.admin_login, name="admin-login-2fa"),
    path("api/v1/auth/token/", views.obtain_auth_token, name="api-token-2fa"),
]
