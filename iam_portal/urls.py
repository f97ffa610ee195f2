"""URL wiring: the only place adapters are connected (DESIGN.md, dependency rule 1).

`/` serves two adapters, as AWS's endpoint does: a POST (or a GET with `Action=` in the query string)
is an AWS Query API call; any other GET is the console's home page.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from accounts.views import HomeView
from iam_portal.query_api.views import query_api

home = HomeView.as_view()


@csrf_exempt  # Query API calls are authenticated by their SigV4 signature, not by a session cookie
def home_or_query_api(request: HttpRequest) -> HttpResponse:
    """The Query API for POST / and GET /?Action=…; the console home page otherwise."""
    if request.method == "POST" or "Action" in request.GET:
        return query_api(request)
    return home(request)


urlpatterns = [
    path("", home_or_query_api, name="home"),
    path("", include("accounts.urls")),
    path("console/", include("iam_portal.console.urls")),
]
