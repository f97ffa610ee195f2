"""Console pages: the "Secure your new account" walkthrough and its exercises.

Each step and each exercise ticks itself from the account's state (accounts/selectors/onboarding.py).
A caller without iam:GetAccountSummary still reads the lessons, without the account's progress; the
view asks first so that a plain visit is not audited as a denial.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.selectors.onboarding import LESSONS, exercises, onboarding_checklist

from . import ConsoleView

SUMMARY = ("iam:GetAccountSummary", "*")


class OnboardingView(ConsoleView):
    """Secure your new account: the checklist, with a progress indicator."""

    def get(self, request: HttpRequest) -> HttpResponse:
        may = self.may(summary=SUMMARY)
        checklist = onboarding_checklist(self.ctx) if may["summary"] else None
        account = self.ctx.account
        return self.render(
            "console/onboarding/checklist.html",
            {
                "title": "Secure your new account",
                "checklist": checklist,
                "lessons": LESSONS,
                "account_ref": account.alias or account.account_id,  # the sign-in URL's part
            },
        )


class ExercisesView(ConsoleView):
    """Short tasks with automatic checks."""

    def get(self, request: HttpRequest) -> HttpResponse:
        may = self.may(summary=SUMMARY)
        return self.render(
            "console/onboarding/exercises.html",
            {"title": "Exercises", "exercises": exercises(self.ctx) if may["summary"] else None},
        )


urlpatterns = [
    path("get-started/", OnboardingView.as_view(), name="onboarding"),
    path("get-started/exercises/", ExercisesView.as_view(), name="exercises"),
]
