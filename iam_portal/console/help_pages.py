"""Console pages: help — short pages on the ideas the walkthrough teaches (../shared/reference/TEACHING.md):
authentication and authorization, the root user, MFA, users, groups, policies, roles and temporary
credentials. Static pages: nothing is read, so nothing is authorized."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from . import ConsoleView

# slug -> (title, one-line summary for the index), in reading order.
TOPICS: dict[str, tuple[str, str]] = {
    "authentication": (
        "Authentication and authorization",
        "Who you are, and what you may do.",
    ),
    "root-user": (
        "The root user",
        "The identity created with the account, with complete access, and why you lock it away.",
    ),
    "mfa": (
        "Multi-factor authentication (MFA)",
        "Why one password is not enough, and how a virtual MFA device works.",
    ),
    "users": (
        "IAM users",
        "One user per person or service, console and programmatic access, password policies.",
    ),
    "groups": (
        "IAM user groups",
        "Permissions for many users at once, organized by job function.",
    ),
    "policies": (
        "Policies and how they are evaluated",
        "JSON documents that allow or deny; explicit deny, allow, implicit deny; permissions boundaries.",
    ),
    "roles": (
        "Roles and temporary credentials",
        "Permissions you take on for a while instead of keeping long-term keys.",
    ),
}


class HelpIndexView(ConsoleView):
    def get(self, request: HttpRequest) -> HttpResponse:
        topics = [{"slug": slug, "title": title, "summary": text} for slug, (title, text) in TOPICS.items()]
        return self.render("console/help/index.html", {"title": "Help", "topics": topics})


class HelpTopicView(ConsoleView):
    def get(self, request: HttpRequest, topic: str) -> HttpResponse:
        if topic not in TOPICS:
            raise Http404("No such help topic.")
        slugs = list(TOPICS)
        at = slugs.index(topic)

        def neighbour(i: int) -> dict[str, str] | None:
            return {"slug": slugs[i], "title": TOPICS[slugs[i]][0]} if 0 <= i < len(slugs) else None

        return self.render(
            f"console/help/{topic}.html",
            {
                "title": TOPICS[topic][0],
                "topic": topic,
                "previous": neighbour(at - 1),
                "next": neighbour(at + 1),
            },
        )


urlpatterns = [
    path("help/", HelpIndexView.as_view(), name="help"),
    path("help/<slug:topic>/", HelpTopicView.as_view(), name="help_topic"),
]
