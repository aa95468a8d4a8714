from django.urls import path

from spotify.emulator import accounts, api

app_name = "sandbox"

urlpatterns = [
    path("accounts/authorize", accounts.authorize, name="authorize"),
    path("accounts/api/token", accounts.token, name="token"),
    path("v1/me", api.me, name="me"),
]
