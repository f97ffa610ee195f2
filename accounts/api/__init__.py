"""REST resources of the accounts app, one module per area (docs/rest-api.md).

Each module lists its routes in ROUTES, (prefix, viewset, basename) triples that accounts/api_urls.py
registers under /api/v1/.
"""
