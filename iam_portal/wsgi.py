"""WSGI entry point (gunicorn iam_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam_portal.settings")
application = get_wsgi_application()
