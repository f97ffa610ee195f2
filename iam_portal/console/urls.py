"""The console's pages under /console/ (namespace "console"); each module lists its own URLs."""

from __future__ import annotations

from . import (
    access_advisor,
    access_matrix,
    account_settings,
    activity,
    authorization_details,
    credential_report,
    dashboard,
    groups,
    help_pages,
    onboarding,
    policies,
    policy_simulator,
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
    *policy_simulator.urlpatterns,
    *account_settings.urlpatterns,
    *credential_report.urlpatterns,
    *authorization_details.urlpatterns,
    *security_credentials.urlpatterns,
    *activity.urlpatterns,
    *access_advisor.urlpatterns,
    *access_matrix.urlpatterns,
]
