"""URL wiring: the only place adapters are connected (DESIGN.md, dependency rule 1).

`/` serves two adapters, as AWS's endpoint does: a POST (or a GET with `Action=` in the query string)
is an AWS Query API call, answered by iam_portal.query_api.middleware before URL resolution (settings
MIDDLEWARE); any other GET is the console's home page. `/api/` is the REST API
(docs/rest-api.md): resources under /api/v1/, the OpenAPI schema and its Swagger UI and Redoc pages.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.views import HomeView
from iam_portal.rest import api_not_found

urlpatterns = [
    # POST / (and GET /?Action=…) never gets here: QueryApiMiddleware answers AWS Query API calls.
    path("", HomeView.as_view(), name="home"),
    path("", include("accounts.urls")),
    path("console/", include("iam_portal.console.urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("policies.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    re_path(r"^api/", api_not_found),  # a JSON 404 for any other path under /api/, DEBUG or not
]
