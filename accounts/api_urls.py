"""REST API routes of the accounts app, under /api/v1/ (iam_portal/urls.py): users and their tags."""

from rest_framework.routers import SimpleRouter

from . import api

app_name = "accounts_api"

router = SimpleRouter()
router.register("users", api.UserViewSet, basename="user")

urlpatterns = router.urls
