"""The console's pages under /console/ (namespace "console"); each module lists its own URLs."""

from __future__ import annotations

from . import (
    account_settings,
    activity,
    credential_report,
    dashboard,
    groups,
    help_pages,
    onboarding,
    policies,
    roles,
    security_credentials,
    users,
)

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *onboarding.urlpatterns,
    *help_pages.urlpatterns,
    *users.urlpatterns,
    *groups.urlpatterns,
    *roles.urlpatterns,
    *policies.urlpatterns,
    *account_settings.urlpatterns,
    *credential_report.urlpatterns,
    *security_credentials.urlpatterns,
    *activity.urlpatterns,
]
