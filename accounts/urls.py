from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    # Before django.contrib.auth.urls in brigade/urls.py, so /accounts/login/ (reverse("login")) is this view.
    path("login/", views.LoginView.as_view(), name="login"),
    path("signup/", views.signup, name="signup"),
    path("invitations/", views.invitations, name="invitations"),
    path("profile/", views.profile, name="profile"),
    path("tokens/", views.token_create, name="token-create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
