"""Deployment (issue 10): health endpoints, trusted proxies, the content security policy, production
settings (`check --deploy`), secret-key rotation and Redis as the shared cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from ipaddress import ip_network
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from accounts.models import AccessKey, MFADevice
from accounts.selectors.access_keys import sealing_context
from accounts.services import access_keys, mfa, users
from accounts.services.secrets import reseal_secrets
from iam_portal import health, secretbox
from iam_portal.proxies import TrustedProxyMiddleware, client_address, parse_networks
from iam_portal.security_headers import API_DOCS_POLICY, HEADER, POLICY
from iam_portal.settings import BASE_DIR

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
OLD_KEY, NEW_KEY = (
    secretbox.parse_key(secretbox.generate_key()),
    secretbox.parse_key(secretbox.generate_key()),
)


@pytest.mark.django_db
class HealthTests:
    def test_healthz_answers_for_any_host_over_plain_http(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True  # a deployment's setting: probes still get through
        response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"

    def test_readyz_checks_the_database_and_the_cache(self, client):
        response = client.get("/readyz", HTTP_HOST="10.1.2.3")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}

    def test_readyz_is_503_naming_the_failed_check_and_not_its_message(self, client, monkeypatch):
        def broken() -> None:
            raise ConnectionError("could not connect to postgres://admin:hunter2@db")

        monkeypatch.setitem(health.CHECKS, "database", broken)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": "ConnectionError", "cache": "ok"},
        }
        assert b"hunter2" not in response.content

    def test_head_is_answered_and_other_methods_fall_through(self, client):
        assert client.head("/healthz").status_code == 200
        assert client.post("/healthz/x").status_code == 404


class TrustedProxyTests:
    NETWORKS = parse_networks("10.0.0.0/8, 127.0.0.1")

    def test_networks_are_parsed_and_a_bad_entry_is_a_clear_error(self):
        assert (ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32")) == self.NETWORKS
        with pytest.raises(ValueError, match="'10.0.0.300' is not an address or network"):
            parse_networks("10.0.0.300")

    @pytest.mark.parametrize(
        ("peer", "forwarded_for", "client"),
        [
            ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from a proxy: the header is ignored
            ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
            ("10.0.0.5", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # a forged left-most entry
            ("10.0.0.5", "", "10.0.0.5"),
            ("10.0.0.5", "10.0.0.9", "10.0.0.9"),  # only proxies of ours: the first one
            ("10.0.0.5", "not-an-ip", "10.0.0.5"),
            ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
        ],
    )
    def test_the_client_is_the_right_most_untrusted_hop(self, peer, forwarded_for, client):
        assert client_address(peer, forwarded_for, self.NETWORKS) == client

    def test_the_middleware_sets_the_address_and_scheme_only_behind_a_trusted_proxy(self, settings):
        settings.IAM_PORTAL_TRUSTED_PROXIES = "10.0.0.0/8"
        seen = {}

        def view(request):
            seen.update(ip=request.META["REMOTE_ADDR"], secure=request.is_secure())

        middleware = TrustedProxyMiddleware(view)
        headers = {"HTTP_X_FORWARDED_FOR": "198.51.100.1", "HTTP_X_FORWARDED_PROTO": "https"}
        middleware(RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", **headers))
        assert seen == {"ip": "198.51.100.1", "secure": True}
        middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", **headers))
        assert seen == {"ip": "203.0.113.9", "secure": False}


@pytest.mark.django_db
class ContentSecurityPolicyTests:
    def test_every_page_gets_the_strict_policy(self, client):
        response = client.get("/signin/")
        assert response[HEADER] == POLICY
        assert "'unsafe-inline'" not in POLICY and "frame-ancestors 'none'" in POLICY

    def test_the_api_docs_pages_may_inline_styles_but_never_scripts(self, client):
        response = client.get("/api/redoc/")
        assert response[HEADER] == API_DOCS_POLICY
        assert "script-src 'self';" in API_DOCS_POLICY

    def test_no_template_has_inline_script_style_or_event_handler(self):
        offenders = []
        for path in sorted((BASE_DIR / "templates").rglob("*.html")):
            if path.parts[-2] == "drf_spectacular":
                continue  # Redoc's page: its own policy (API_DOCS_POLICY)
            text = path.read_text()
            for bad in (
                "<script>",
                "<script type",
                'style="',
                "<style",
                " onclick=",
                " onchange=",
                " onsubmit=",
            ):
                if bad in text:
                    offenders.append(f"{path.relative_to(BASE_DIR)}: {bad}")
        assert offenders == []


class ProductionSettingsTests:
    def test_check_deploy_is_clean_under_production_settings(self):
        env = {
            **os.environ,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 20 + uuid.uuid4().hex + uuid.uuid4().hex,
            "IAM_PORTAL_SECRET_KEY": f"{secretbox.generate_key()},{secretbox.generate_key()}",
            "DJANGO_ALLOWED_HOSTS": "iam.example.com",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' setting, never a deployment's
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_a_blank_secret_key_list_is_the_clear_startup_error(self):
        env = {
            **os.environ,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 60,
            "IAM_PORTAL_SECRET_KEY": " , ",
        }
        result = subprocess.run(
            [sys.executable, "-c", "import iam_portal.settings"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 1
        assert "RuntimeError: IAM_PORTAL_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr

    def test_redis_url_selects_the_redis_cache(self):
        env = {**os.environ, "REDIS_URL": "redis://cache.internal:6379/2"}
        code = "from iam_portal import settings; import json; print(json.dumps(settings.CACHES))"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(result.stdout) == {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://cache.internal:6379/2",
                "KEY_PREFIX": "iam",
            }
        }


@pytest.mark.django_db
class KeyRotationTests:
    def test_old_secrets_open_after_rotation_and_reseal_moves_them_to_the_new_key(self, settings, ctx):
        settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_PREVIOUS_KEYS = OLD_KEY, []
        users.create_user(ctx, user_name="alice")
        issued = access_keys.create_access_key(ctx, user_name="alice")
        device = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="alice")
        settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_PREVIOUS_KEYS = NEW_KEY, [OLD_KEY]
        key = AccessKey.objects.get(access_key_id=issued.access_key.access_key_id)
        old_id, new_id = secretbox.key_id(OLD_KEY), secretbox.key_id(NEW_KEY)
        assert key.secret_ciphertext.startswith(f"v1:{old_id}:")
        context = sealing_context(key.access_key_id)
        assert secretbox.decrypt(key.secret_ciphertext, context=context) == issued.secret_access_key

        assert reseal_secrets() == {"AccessKey": 1, "SessionCredential": 0, "MFADevice": 1}
        key.refresh_from_db()
        assert key.secret_ciphertext.startswith(f"v1:{new_id}:")
        assert MFADevice.objects.get(serial_number=device.device.serial_number).seed_ciphertext.startswith(
            f"v1:{new_id}:"
        )
        settings.SECRET_ENCRYPTION_PREVIOUS_KEYS = []  # the old key can go now
        assert secretbox.decrypt(key.secret_ciphertext, context=context) == issued.secret_access_key
        assert reseal_secrets() == {"AccessKey": 0, "SessionCredential": 0, "MFADevice": 0}

    def test_the_command_names_the_missing_key_and_changes_nothing(self, settings, ctx):
        settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_PREVIOUS_KEYS = OLD_KEY, []
        users.create_user(ctx, user_name="bob")
        issued = access_keys.create_access_key(ctx, user_name="bob")
        before = AccessKey.objects.get(access_key_id=issued.access_key.access_key_id).secret_ciphertext
        settings.SECRET_ENCRYPTION_KEY = NEW_KEY
        with pytest.raises(CommandError, match="no key with id .* add that key after the new one"):
            call_command("resealsecrets")
        assert (
            AccessKey.objects.get(access_key_id=issued.access_key.access_key_id).secret_ciphertext == before
        )


@pytest.fixture
def redis_cache(settings):
    """Django's cache on the Redis at REDIS_URL (database 15 by default); required under CI=true."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI and is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.django_db
class RedisTests:
    def test_readyz_passes_with_redis_as_the_cache(self, client, redis_cache):
        response = client.get("/readyz")
        assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}

    def test_two_processes_see_one_rate_limit_count(self, redis_cache):
        """A counter incremented by another process (a fresh interpreter) is seen here."""
        redis_cache.set("hits", 1)
        prefix = redis_cache.key_prefix
        code = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='iam_portal.settings'; django.setup();"
            "from django.conf import settings; from django.core.cache import caches;"
            f"settings.CACHES['default']['KEY_PREFIX']={prefix!r};"
            "print(caches['default'].incr('hits'))"
        )
        env = {**os.environ, "REDIS_URL": REDIS_URL}
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=Path(BASE_DIR),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "2"
        assert redis_cache.get("hits") == 2
