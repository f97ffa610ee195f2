"""URL wiring: the only place adapters are connected (DESIGN.md, dependency rule 1)."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
]
