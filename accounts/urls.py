from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import ChoosePasswordForm

urlpatterns = [
    path("accounts/login/", views.customer_login, name="customer_login"),
    path("accounts/logout/", views.customer_logout, name="customer_logout"),
    path("accounts/signup/", views.customer_signup, name="customer_signup"),
    path("accounts/signup/sent/", views.customer_signup_sent, name="customer_signup_sent"),
    path(
        "accounts/signup/confirm/<str:signed>/", views.customer_signup_confirm, name="customer_signup_confirm"
    ),
    # Under admin/ for the bookseller space's "forgotten your password?" link; the same
    # page serves customers.
    path("admin/password_reset/", views.PasswordResetView.as_view(), name="admin_password_reset"),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=ChoosePasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
