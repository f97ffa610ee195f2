"""REST API routes of the accounts app, under /api/v1/ (iam_portal/urls.py): each area module's ROUTES."""

from rest_framework.routers import SimpleRouter

from .api import (
    access_advisor,
    access_matrix,
    account,
    audit_export,
    authorization_details,
    findings,
    groups,
    roles,
    user_credentials,
    user_permissions,
    users,
)

app_name = "accounts_api"

router = SimpleRouter()
for module in (
    users,
    user_permissions,
    user_credentials,
    groups,
    roles,
    account,
    authorization_details,
    findings,
    audit_export,
    access_advisor,
    access_matrix,
):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
