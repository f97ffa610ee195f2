"""URL wiring: the only place adapters are connected (DESIGN.md, dependency rule 1)."""

from django.urls import include, path

from accounts.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("accounts.urls")),
]
