"""REST API routes of the policies app, under /api/v1/ (iam_portal/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import api

app_name = "policies_api"

router = SimpleRouter()
for prefix, viewset, basename in api.ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
