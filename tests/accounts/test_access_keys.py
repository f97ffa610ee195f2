"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed;
the signer's record_access_key_use and secret_for_signing; secrets sealed at rest (iam_portal.secretbox)."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessKey, AuditEvent, User
from accounts.selectors import access_keys as key_reads
from accounts.selectors.account import get_account_summary
from accounts.services import access_keys
from accounts.services.users import create_user, delete_user
from iam_portal import secretbox
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    LimitExceededError,
    NoSuchEntityError,
    ValidationError,
)
from iam_portal.secretbox import SecretBox, SecretBoxError
from iam_portal.settings import BASE_DIR
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")
SECRET = re.compile(r"[A-Za-z0-9+/]{40}")
ACTIONS = ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"]


@pytest.fixture
def alice(ctx) -> User:
    return create_user(ctx, user_name="alice")


def denial(caller_arn: str, action: str, resource: str) -> str:
    return (
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def self_service(ctx, name: str):
    """An IAM user with AWS's "manage your own access keys" policy; returns its context."""
    user = create_user(ctx, user_name=name)
    f.put_user_policy(
        user,
        "ManageOwnAccessKeys",
        f.allow(["iam:*AccessKey*"], f"arn:aws:iam::{ctx.account.account_id}:user/${{aws:username}}"),
    )
    return f.context_for(user)


def stored(access_key_id: str) -> str:
    return AccessKey.objects.values_list("secret_ciphertext", flat=True).get(access_key_id=access_key_id)


def key_summary(ctx) -> int:
    return get_account_summary(ctx)["AccountAccessKeysPresent"]


class SecretBoxTests:
    def test_seals_as_v1_key_id_and_base64_of_nonce_ciphertext_and_tag(self):
        box = SecretBox(os.urandom(32))
        sealed = box.encrypt("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", context="c")
        version, kid, body = sealed.split(":")
        assert (version, kid) == ("v1", box.current_key_id) and re.fullmatch(r"[0-9a-f]{12}", kid)
        assert len(base64.urlsafe_b64decode(body)) == 12 + 40 + 16  # nonce, ciphertext, GCM tag
        assert "wJalr" not in sealed
        assert box.decrypt(sealed, context="c") == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        assert box.encrypt("same", context="c") != box.encrypt("same", context="c")  # a fresh nonce each

    def test_another_key_cannot_open(self):
        sealed = SecretBox(os.urandom(32)).encrypt("secret")
        with pytest.raises(SecretBoxError, match=r"^no key with id [0-9a-f]{12} to open this value"):
            SecretBox(os.urandom(32)).decrypt(sealed)

    def test_another_key_fails_authentication_even_under_a_forged_key_id(self):
        mine, theirs = SecretBox(os.urandom(32)), SecretBox(os.urandom(32))
        _, _, body = theirs.encrypt("secret").split(":")
        with pytest.raises(SecretBoxError, match="^the sealed value failed authentication"):
            mine.decrypt(f"v1:{mine.current_key_id}:{body}")

    def test_tampering_or_another_context_fails(self):
        box = SecretBox(os.urandom(32))
        sealed = box.encrypt("secret", context="access-key:AKIAONE")
        with pytest.raises(SecretBoxError, match="failed authentication"):
            box.decrypt(sealed, context="access-key:AKIATWO")
        raw = bytearray(base64.urlsafe_b64decode(sealed.split(":")[2]))
        raw[-1] ^= 1
        tampered = f"v1:{box.current_key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
        with pytest.raises(SecretBoxError, match="failed authentication"):
            box.decrypt(tampered, context="access-key:AKIAONE")
        for bad in ["secret", "v2:" + sealed[3:], f"v1:{box.current_key_id}:"]:
            with pytest.raises(SecretBoxError, match="^not a v1 sealed value$"):
                box.decrypt(bad)

    def test_previous_keys_still_open_what_they_sealed(self):
        old, new = os.urandom(32), os.urandom(32)
        sealed = SecretBox(old).encrypt("secret")
        rotated = SecretBox(new, previous=[old])
        assert rotated.decrypt(sealed) == "secret"
        assert rotated.encrypt("x").split(":")[1] == secretbox.key_id(new) != secretbox.key_id(old)

    def test_keys_are_32_bytes_and_never_shown(self):
        key = os.urandom(32)
        text = base64.urlsafe_b64encode(key).decode()
        assert secretbox.parse_key(text) == secretbox.parse_key(text.rstrip("=")) == key
        assert len(secretbox.parse_key(secretbox.generate_key())) == 32
        for bad in [base64.urlsafe_b64encode(os.urandom(16)).decode(), "not base64!", ""]:
            with pytest.raises(SecretBoxError) as caught:
                secretbox.parse_key(bad)
            assert str(caught.value) == (
                "IAM_PORTAL_SECRET_KEY must be 32 random bytes in urlsafe base64 (44 characters)"
            )
        with pytest.raises(SecretBoxError):
            SecretBox(b"short")
        assert text not in repr(SecretBox(key)) and key.hex() not in repr(SecretBox(key))

    def test_the_development_key_is_hkdf_of_the_django_secret_key(self):
        expected = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"iam-portal secretbox v1 development key"
        ).derive(b"some secret key")
        assert secretbox.derive_key("some secret key") == expected
        assert secretbox.derive_key("another") != expected

    def test_module_functions_use_the_configured_key(self, settings):
        settings.SECRET_ENCRYPTION_KEY = key = os.urandom(32)
        sealed = secretbox.encrypt("secret", context="c")
        assert sealed.split(":")[1] == secretbox.key_id(key)
        assert secretbox.decrypt(sealed, context="c") == "secret"
        settings.SECRET_ENCRYPTION_KEY = os.urandom(32)
        with pytest.raises(SecretBoxError):
            secretbox.decrypt(sealed, context="c")


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these deployment variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "IAM_PORTAL_")) and k != "DATABASE_URL"
    }
    code = "import iam_portal.settings as s; print(s.SECRET_ENCRYPTION_KEY.hex())"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class SecretEncryptionKeySettingTests:
    def test_read_from_iam_portal_secret_key(self):
        key = os.urandom(32)
        done = load_settings(
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY="x" * 50,
            IAM_PORTAL_SECRET_KEY=base64.urlsafe_b64encode(key).decode(),
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == key.hex()

    def test_refuses_to_start_without_it_when_debug_is_off(self):
        done = load_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50)
        assert done.returncode != 0
        assert "RuntimeError: IAM_PORTAL_SECRET_KEY must be set when DJANGO_DEBUG is off" in done.stderr

    def test_derived_from_the_secret_key_in_debug(self):
        done = load_settings(DJANGO_DEBUG="true", DJANGO_SECRET_KEY="a development key")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == secretbox.derive_key("a development key").hex()

    def test_a_malformed_key_stops_the_start_without_echoing_it(self):
        done = load_settings(
            DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, IAM_PORTAL_SECRET_KEY="hunter2"
        )
        assert done.returncode != 0
        assert "IAM_PORTAL_SECRET_KEY must be 32 random bytes in urlsafe base64" in done.stderr
        assert "hunter2" not in done.stderr


class CreateAccessKeyTests:
    def test_creates_an_active_key_for_a_named_user(self, ctx, alice):
        issued = access_keys.create_access_key(ctx, user_name="alice")
        key = issued.access_key
        assert KEY_ID.fullmatch(key.access_key_id) and SECRET.fullmatch(issued.secret_access_key)
        assert (key.user, key.status, key.last_used_date) == (alice, "Active", None)
        event = AuditEvent.objects.get(action="iam:CreateAccessKey")
        assert (event.outcome, event.target_arn) == ("success", alice.arn)
        assert event.parameters == {"user_name": "alice", "access_key_id": key.access_key_id}

    def test_ids_and_secrets_are_random(self, ctx, alice, root):
        made = [access_keys.create_access_key(ctx, user_name="alice") for _ in range(2)]
        made += [access_keys.create_access_key(ctx) for _ in range(2)]
        assert (
            len({m.access_key.access_key_id for m in made}) == len({m.secret_access_key for m in made}) == 4
        )

    def test_without_a_name_the_root_user_gets_its_own_key(self, ctx, root):
        issued = access_keys.create_access_key(ctx)
        assert issued.access_key.user == root
        event = AuditEvent.objects.get(action="iam:CreateAccessKey")
        assert event.target_arn == root.arn == f"arn:aws:iam::{ctx.account.account_id}:root"
        assert event.parameters == {"access_key_id": issued.access_key.access_key_id}

    def test_without_a_name_an_iam_user_gets_its_own_key(self, ctx):
        bob = self_service(ctx, "bob")
        assert access_keys.create_access_key(bob).access_key.user == bob.caller

    def test_the_secret_is_stored_only_sealed(self, ctx, alice):
        issued = access_keys.create_access_key(ctx, user_name="alice")
        key_id = issued.access_key.access_key_id
        column = stored(key_id)
        assert column.startswith("v1:") and issued.secret_access_key not in column
        assert secretbox.decrypt(column, context=f"access-key:{key_id}") == issued.secret_access_key

    def test_quota_of_two_keys_per_user(self, ctx, alice):
        access_keys.create_access_key(ctx, user_name="alice")
        access_keys.create_access_key(ctx, user_name="alice")
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for AccessKeysPerUser: 2$"):
            access_keys.create_access_key(ctx, user_name="alice")
        assert events("iam:CreateAccessKey") == [("success", "")] * 2 + [("failed", "LimitExceeded")]
        assert AccessKey.objects.filter(user=alice).count() == 2
        access_keys.create_access_key(ctx)  # the quota is per user: root and others are unaffected
        create_user(ctx, user_name="bob")
        access_keys.create_access_key(ctx, user_name="bob")

    def test_quota_of_two_keys_for_the_root_user(self, ctx, root):
        access_keys.create_access_key(ctx)
        access_keys.create_access_key(ctx)
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for AccessKeysPerUser: 2$"):
            access_keys.create_access_key(ctx)
        assert AccessKey.objects.filter(user=root).count() == 2

    def test_inactive_keys_count_and_deleting_one_frees_a_place(self, ctx, alice):
        first = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        access_keys.create_access_key(ctx, user_name="alice")
        access_keys.update_access_key(ctx, user_name="alice", access_key_id=first, status="Inactive")
        with pytest.raises(LimitExceededError):
            access_keys.create_access_key(ctx, user_name="alice")
        access_keys.delete_access_key(ctx, user_name="alice", access_key_id=first)
        access_keys.create_access_key(ctx, user_name="alice")

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            access_keys.create_access_key(ctx, user_name="ghost")
        assert not AccessKey.objects.exists()

    def test_users_of_another_account_are_invisible(self, ctx):
        create_user(f.root_context(), user_name="stranger")
        with pytest.raises(NoSuchEntityError, match="^The user with name stranger cannot be found.$"):
            access_keys.create_access_key(ctx, user_name="stranger")

    def test_user_name_follows_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError) as caught:
            access_keys.create_access_key(ctx, user_name="bad name")
        assert caught.value.message == (
            "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )

    def test_a_user_without_policies_may_not_even_for_itself(self, ctx, alice, acct):
        alice_ctx = f.context_for(alice)
        with pytest.raises(AccessDeniedError) as caught:
            access_keys.create_access_key(alice_ctx)
        assert caught.value.message == denial(alice.arn, "iam:CreateAccessKey", alice.arn)
        with pytest.raises(AccessDeniedError) as caught:
            access_keys.create_access_key(alice_ctx, user_name="alice")
        assert caught.value.message == denial(alice.arn, "iam:CreateAccessKey", alice.arn)
        assert events("iam:CreateAccessKey") == [("denied", "AccessDenied")] * 2
        assert not AccessKey.objects.exists()

    def test_the_dataclass_and_the_model_hide_the_secret(self, ctx, alice):
        issued = access_keys.create_access_key(ctx, user_name="alice")
        key_id, secret = issued.access_key.access_key_id, issued.secret_access_key
        assert (
            repr(issued)
            == str(issued)
            == (f"IssuedAccessKey(access_key=<AccessKey {key_id} Active>, secret_access_key=<hidden>)")
        )
        assert (repr(issued.access_key), str(issued.access_key)) == (f"<AccessKey {key_id} Active>", key_id)
        fetched = AccessKey.objects.get(access_key_id=key_id)
        for text in (repr(issued), str(issued), repr(fetched), str(fetched)):
            assert secret not in text
        with pytest.raises(AttributeError):
            issued.secret_access_key = "changed"  # frozen


class ListAccessKeysTests:
    def test_metadata_only_oldest_first(self, ctx, alice):
        first = access_keys.create_access_key(ctx, user_name="alice").access_key
        second = access_keys.create_access_key(ctx, user_name="alice").access_key
        page = key_reads.list_access_keys(ctx, user_name="alice")
        assert page.items == [
            key_reads.AccessKeyMetadata("alice", first.access_key_id, "Active", first.created),
            key_reads.AccessKeyMetadata("alice", second.access_key_id, "Active", second.created),
        ]
        assert (page.is_truncated, page.marker) == (False, None)
        assert set(vars(page.items[0])) == {"user_name", "access_key_id", "status", "create_date"}

    def test_without_a_name_lists_the_callers_own_keys(self, ctx, alice):
        access_keys.create_access_key(ctx, user_name="alice")
        root_key = access_keys.create_access_key(ctx).access_key
        assert [(k.user_name, k.access_key_id) for k in key_reads.list_access_keys(ctx).items] == [
            (None, root_key.access_key_id)  # the root user's keys carry no user name
        ]

    def test_a_user_without_keys_has_an_empty_list(self, ctx, alice):
        assert key_reads.list_access_keys(ctx, user_name="alice").items == []

    def test_pages_with_marker_and_max_items(self, ctx, alice):
        ids = [
            access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id for _ in range(2)
        ]
        page = key_reads.list_access_keys(ctx, user_name="alice", max_items=1)
        assert [k.access_key_id for k in page.items] == ids[:1] and page.is_truncated
        rest = key_reads.list_access_keys(ctx, user_name="alice", marker=page.marker, max_items=1)
        assert [k.access_key_id for k in rest.items] == ids[1:] and not rest.is_truncated
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            key_reads.list_access_keys(ctx, user_name="alice", max_items=0)

    def test_query_count_does_not_grow_and_secrets_are_not_read(self, ctx, alice, django_assert_num_queries):
        counts = []
        for n in (10, 490):
            AccessKey.objects.bulk_create(
                AccessKey(user=alice, access_key_id=f"AKIATEST{n:03}{i:09}", secret_ciphertext="v1:x:y")
                for i in range(n)
            )
            with django_assert_num_queries(2) as captured:  # the user, then the page
                page = key_reads.list_access_keys(
                    f.root_context(ctx.caller), user_name="alice", max_items=1000
                )
            counts.append(len(captured.captured_queries))
            assert not any("secret_ciphertext" in q["sql"] for q in captured.captured_queries)
        assert counts == [2, 2] and len(page.items) == 500

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            key_reads.list_access_keys(ctx, user_name="ghost")

    def test_a_user_without_policies_may_not(self, ctx, alice):
        with pytest.raises(AccessDeniedError) as caught:
            key_reads.list_access_keys(f.context_for(alice))
        assert caught.value.message == denial(alice.arn, "iam:ListAccessKeys", alice.arn)
        assert events("iam:ListAccessKeys") == [("denied", "AccessDenied")]


class UpdateAccessKeyTests:
    def test_deactivates_and_reactivates(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        key = access_keys.update_access_key(ctx, user_name="alice", access_key_id=key_id, status="Inactive")
        assert key.status == "Inactive" == AccessKey.objects.get(access_key_id=key_id).status
        assert key_reads.secret_for_signing(key_id) is None
        access_keys.update_access_key(ctx, user_name="alice", access_key_id=key_id, status="Active")
        assert key_reads.secret_for_signing(key_id) is not None
        assert events("iam:UpdateAccessKey") == [("success", "")] * 2
        event = AuditEvent.objects.filter(action="iam:UpdateAccessKey").first()
        assert event.target_arn == alice.arn
        assert event.parameters == {"user_name": "alice", "access_key_id": key_id, "status": "Inactive"}

    def test_setting_the_status_it_has_succeeds(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        access_keys.update_access_key(ctx, user_name="alice", access_key_id=key_id, status="Active")
        assert AccessKey.objects.get(access_key_id=key_id).status == "Active"

    @pytest.mark.parametrize("status", ["Expired", "active", "", None])
    def test_status_is_active_or_inactive(self, ctx, alice, status):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        with pytest.raises(ValidationError) as caught:
            access_keys.update_access_key(ctx, user_name="alice", access_key_id=key_id, status=status)
        assert caught.value.message == (
            f"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Active, Inactive]"
        )
        assert events("iam:UpdateAccessKey") == []

    @pytest.mark.parametrize(
        ("key_id", "constraint"),
        [
            ("AKIASHORT", "have length greater than or equal to 16"),
            ("A" * 129, "have length less than or equal to 128"),
            ("AKIA-NOT-A-KEY-ID!", r"satisfy regular expression pattern: [\w]+"),
        ],
    )
    def test_access_key_id_follows_the_model_constraints(self, ctx, key_id, constraint):
        with pytest.raises(ValidationError) as caught:
            access_keys.update_access_key(ctx, access_key_id=key_id, status="Inactive")
        assert caught.value.message == (
            f"1 validation error detected: Value '{key_id}' at 'accessKeyId' failed to satisfy constraint: "
            f"Member must {constraint}"
        )

    def test_a_key_of_another_user_is_not_found(self, ctx, alice):
        create_user(ctx, user_name="bob")
        bobs = access_keys.create_access_key(ctx, user_name="bob").access_key.access_key_id
        with pytest.raises(NoSuchEntityError, match=f"^The Access Key with id {bobs} cannot be found.$"):
            access_keys.update_access_key(ctx, user_name="alice", access_key_id=bobs, status="Inactive")
        with pytest.raises(NoSuchEntityError, match=f"^The Access Key with id {bobs} cannot be found.$"):
            access_keys.update_access_key(ctx, access_key_id=bobs, status="Inactive")  # root's own keys
        assert AccessKey.objects.get(access_key_id=bobs).status == "Active"
        assert events("iam:UpdateAccessKey") == [("failed", "NoSuchEntity")] * 2

    def test_unknown_key(self, ctx):
        with pytest.raises(
            NoSuchEntityError, match="^The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.$"
        ):
            access_keys.update_access_key(ctx, access_key_id="AKIAAAAAAAAAAAAAAAAA", status="Inactive")

    def test_a_user_without_policies_may_not(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        with pytest.raises(AccessDeniedError) as caught:
            access_keys.update_access_key(f.context_for(alice), access_key_id=key_id, status="Inactive")
        assert caught.value.message == denial(alice.arn, "iam:UpdateAccessKey", alice.arn)
        assert events("iam:UpdateAccessKey") == [("denied", "AccessDenied")]
        assert AccessKey.objects.get(access_key_id=key_id).status == "Active"


class DeleteAccessKeyTests:
    def test_deletes(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        access_keys.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
        assert not AccessKey.objects.exists()
        assert key_reads.secret_for_signing(key_id) is None
        event = AuditEvent.objects.get(action="iam:DeleteAccessKey")
        assert (event.outcome, event.target_arn) == ("success", alice.arn)
        assert event.parameters == {"user_name": "alice", "access_key_id": key_id}

    def test_a_deleted_key_is_gone(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        access_keys.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
        with pytest.raises(NoSuchEntityError, match=f"^The Access Key with id {key_id} cannot be found.$"):
            access_keys.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
        assert events("iam:DeleteAccessKey") == [("success", ""), ("failed", "NoSuchEntity")]

    def test_a_key_of_another_user_is_not_found(self, ctx, alice):
        create_user(ctx, user_name="bob")
        bobs = access_keys.create_access_key(ctx, user_name="bob").access_key.access_key_id
        with pytest.raises(NoSuchEntityError, match=f"^The Access Key with id {bobs} cannot be found.$"):
            access_keys.delete_access_key(ctx, user_name="alice", access_key_id=bobs)
        assert AccessKey.objects.filter(access_key_id=bobs).exists()

    def test_keys_block_delete_user_until_deleted(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must delete access keys first.$"
        ):
            delete_user(ctx, user_name="alice")
        access_keys.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
        delete_user(ctx, user_name="alice")

    def test_a_user_without_policies_may_not(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        with pytest.raises(AccessDeniedError) as caught:
            access_keys.delete_access_key(f.context_for(alice), user_name="alice", access_key_id=key_id)
        assert caught.value.message == denial(alice.arn, "iam:DeleteAccessKey", alice.arn)
        assert AccessKey.objects.filter(access_key_id=key_id).exists()


class GetAccessKeyLastUsedTests:
    def test_a_key_never_used(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        assert key_reads.get_access_key_last_used(ctx, access_key_id=key_id) == key_reads.AccessKeyLastUsed(
            "alice", None, "N/A", "N/A"
        )

    def test_a_key_used(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        before = timezone.now()
        access_keys.record_access_key_use(key_id, service="iam", region="us-east-1")
        used = key_reads.get_access_key_last_used(ctx, access_key_id=key_id)
        assert (used.user_name, used.service_name, used.region) == ("alice", "iam", "us-east-1")
        assert before <= used.last_used_date <= timezone.now()

    def test_a_service_without_regions_reports_region_n_a(self, ctx):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        access_keys.record_access_key_use(key_id, service="s3", region="")
        used = key_reads.get_access_key_last_used(ctx, access_key_id=key_id)
        assert (used.user_name, used.service_name, used.region) == (None, "s3", "N/A")

    def test_takes_only_the_key_id_and_answers_for_any_user_of_the_account(self, ctx, alice):
        alice_key = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        assert key_reads.get_access_key_last_used(ctx, access_key_id=alice_key).user_name == "alice"

    def test_keys_of_another_account_and_unknown_keys_are_not_found(self, ctx):
        other = f.root_context()
        create_user(other, user_name="stranger")
        theirs = access_keys.create_access_key(other, user_name="stranger").access_key.access_key_id
        for key_id in (theirs, "AKIAAAAAAAAAAAAAAAAA"):
            with pytest.raises(
                NoSuchEntityError, match=f"^The Access Key with id {key_id} cannot be found.$"
            ):
                key_reads.get_access_key_last_used(ctx, access_key_id=key_id)

    def test_access_key_id_follows_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError, match="at 'accessKeyId' failed to satisfy constraint"):
            key_reads.get_access_key_last_used(ctx, access_key_id="short")

    def test_authorized_on_the_owner(self, ctx, alice):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        with pytest.raises(AccessDeniedError) as caught:
            key_reads.get_access_key_last_used(f.context_for(alice), access_key_id=key_id)
        assert caught.value.message == denial(alice.arn, "iam:GetAccessKeyLastUsed", ctx.account.root_arn)
        assert events("iam:GetAccessKeyLastUsed") == [("denied", "AccessDenied")]


class RecordAccessKeyUseTests:
    def test_records_once_per_resolution_for_the_same_service_and_region(
        self, ctx, django_assert_num_queries
    ):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        access_keys.record_access_key_use(key_id, service="iam", region="us-east-1")
        first = AccessKey.objects.get(access_key_id=key_id).last_used_date
        with django_assert_num_queries(1):  # one conditional UPDATE, which here changes nothing
            access_keys.record_access_key_use(key_id, service="iam", region="us-east-1")
        assert AccessKey.objects.get(access_key_id=key_id).last_used_date == first
        access_keys.record_access_key_use(key_id, service="sts", region="us-east-1")
        assert AccessKey.objects.values_list("last_used_service", flat=True).get() == "sts"
        access_keys.record_access_key_use(key_id, service="sts", region="eu-west-1")
        assert AccessKey.objects.values_list("last_used_region", flat=True).get() == "eu-west-1"
        long_ago = timezone.now() - access_keys.LAST_USED_RESOLUTION - timedelta(seconds=1)
        AccessKey.objects.update(last_used_date=long_ago)
        access_keys.record_access_key_use(key_id, service="sts", region="eu-west-1")
        assert AccessKey.objects.get(access_key_id=key_id).last_used_date > long_ago

    def test_inactive_and_unknown_keys_are_not_recorded(self, ctx):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        access_keys.update_access_key(ctx, access_key_id=key_id, status="Inactive")
        access_keys.record_access_key_use(key_id, service="iam", region="us-east-1")
        access_keys.record_access_key_use("AKIAAAAAAAAAAAAAAAAA", service="iam", region="us-east-1")
        assert AccessKey.objects.get(access_key_id=key_id).last_used_date is None

    def test_service_and_region_must_fit(self, ctx):
        with pytest.raises(ValueError, match="service must be"):
            access_keys.record_access_key_use("AKIAAAAAAAAAAAAAAAAA", service="", region="us-east-1")
        with pytest.raises(ValueError, match="region must be"):
            access_keys.record_access_key_use("AKIAAAAAAAAAAAAAAAAA", service="iam", region="r" * 33)


class SecretForSigningTests:
    def test_the_owner_and_secret_of_an_active_key_in_one_query(self, ctx, alice, django_assert_num_queries):
        issued = access_keys.create_access_key(ctx, user_name="alice")
        with django_assert_num_queries(1):
            key, secret = key_reads.secret_for_signing(issued.access_key.access_key_id)
            assert key.user.arn == alice.arn  # the user and its account come with the key
            assert key.user.account.authz_generation >= 0
        assert (key.user, secret) == (alice, issued.secret_access_key)

    def test_root_keys_belong_to_the_root_user(self, ctx, root):
        issued = access_keys.create_access_key(ctx)
        key, secret = key_reads.secret_for_signing(issued.access_key.access_key_id)
        assert (key.user, secret) == (root, issued.secret_access_key)

    def test_inactive_unknown_and_malformed_keys_give_none(self, ctx, django_assert_num_queries):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        access_keys.update_access_key(ctx, access_key_id=key_id, status="Inactive")
        assert key_reads.secret_for_signing(key_id) is None
        assert key_reads.secret_for_signing("AKIAAAAAAAAAAAAAAAAA") is None
        with django_assert_num_queries(0):
            assert key_reads.secret_for_signing("short") is None
            assert key_reads.secret_for_signing(None) is None  # type: ignore[arg-type]

    def test_a_different_key_cannot_open_the_secret(self, ctx, settings):
        key_id = access_keys.create_access_key(ctx).access_key.access_key_id
        settings.SECRET_ENCRYPTION_KEY = os.urandom(32)
        with pytest.raises(SecretBoxError, match="^no key with id "):
            key_reads.secret_for_signing(key_id)

    def test_a_sealed_secret_copied_to_another_key_does_not_open(self, ctx, alice):
        mine = access_keys.create_access_key(ctx).access_key.access_key_id
        hers = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        AccessKey.objects.filter(access_key_id=hers).update(secret_ciphertext=stored(mine))
        with pytest.raises(SecretBoxError, match="failed authentication"):
            key_reads.secret_for_signing(hers)


class SecretHygieneTests:
    def test_the_secret_is_in_no_audit_row_no_log_record_and_no_message(self, ctx, alice, caplog):
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="django.db.backends")
        bob = self_service(ctx, "bob")
        secrets_seen: list[str] = []
        messages: list[str] = []
        # A debug cursor logs every SQL statement with its parameters, as a DEBUG deployment would.
        with CaptureQueriesContext(connection):
            for caller, name in [(ctx, "alice"), (ctx, None), (bob, None), (ctx, "alice")]:
                issued = access_keys.create_access_key(caller, user_name=name)
                secrets_seen.append(issued.secret_access_key)
            for caller, name in [(ctx, "alice"), (bob, "alice")]:
                try:
                    access_keys.create_access_key(caller, user_name=name)
                except (LimitExceededError, AccessDeniedError) as exc:
                    messages += [str(exc), repr(exc), exc.message]
            for key in AccessKey.objects.select_related("user__account"):
                name = key.user.user_name or None
                caller = bob if name == "bob" else ctx
                key_reads.list_access_keys(caller, user_name=name)
                key_reads.get_access_key_last_used(caller, access_key_id=key.access_key_id)
                key_reads.secret_for_signing(key.access_key_id)
                access_keys.record_access_key_use(key.access_key_id, service="iam", region="us-east-1")
                access_keys.update_access_key(
                    caller, user_name=name, access_key_id=key.access_key_id, status="Inactive"
                )
                access_keys.delete_access_key(caller, user_name=name, access_key_id=key.access_key_id)
        assert len(secrets_seen) == 4 and len(messages) == 6
        assert any(
            "INSERT" in r.getMessage() and "accounts_accesskey" in r.getMessage() for r in caplog.records
        )
        rows = list(AuditEvent.objects.values())
        assert len(rows) >= 4 * 3 + 2
        for secret in secrets_seen:
            for row in rows:
                for column, value in row.items():
                    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                    assert secret not in text, column
            for record in caplog.records:
                assert secret not in record.getMessage() and secret not in repr(record.__dict__)
            assert all(secret not in m for m in messages)


class RootAccessKeyWorkflowTests:
    def test_create_list_deactivate_delete_and_the_account_summary_follows(self, ctx, root):
        """As AWS teaches it (and then recommends against root keys): AccountAccessKeysPresent 1,1,1,0."""
        assert key_summary(ctx) == 0
        issued = access_keys.create_access_key(ctx)
        key_id = issued.access_key.access_key_id
        assert key_summary(ctx) == 1
        assert [(k.access_key_id, k.status) for k in key_reads.list_access_keys(ctx).items] == [
            (key_id, "Active")
        ]
        assert key_summary(ctx) == 1
        access_keys.update_access_key(ctx, access_key_id=key_id, status="Inactive")
        assert key_summary(ctx) == 1  # an inactive key is still present
        access_keys.delete_access_key(ctx, access_key_id=key_id)
        assert key_summary(ctx) == 0
        assert events("iam:CreateAccessKey") + events("iam:UpdateAccessKey") == [("success", "")] * 2
        assert events("iam:DeleteAccessKey") == [("success", "")]

    def test_iam_user_keys_are_not_root_keys(self, ctx, alice):
        access_keys.create_access_key(ctx, user_name="alice")
        assert key_summary(ctx) == 0

    def test_the_summary_stays_one_query(self, ctx, alice, django_assert_num_queries):
        access_keys.create_access_key(ctx)
        access_keys.create_access_key(ctx, user_name="alice")
        with django_assert_num_queries(1):
            assert key_summary(ctx) == 1


class SelfServiceTests:
    """An IAM user with {"Action": ["iam:*AccessKey*"], "Resource": "...:user/${aws:username}"}."""

    def test_manages_its_own_keys_with_or_without_its_name(self, ctx):
        bob = self_service(ctx, "bob")
        first = access_keys.create_access_key(bob).access_key.access_key_id
        second = access_keys.create_access_key(bob, user_name="bob").access_key.access_key_id
        assert [k.access_key_id for k in key_reads.list_access_keys(bob).items] == [first, second]
        access_keys.update_access_key(bob, access_key_id=first, status="Inactive")
        assert key_reads.get_access_key_last_used(bob, access_key_id=second).service_name == "N/A"
        access_keys.delete_access_key(bob, user_name="bob", access_key_id=first)
        assert [k.access_key_id for k in key_reads.list_access_keys(bob, user_name="bob").items] == [second]
        for action in ACTIONS:
            assert ("success", "") in events(action)
        assert not AuditEvent.objects.filter(outcome="denied").exists()

    def test_cannot_touch_another_users_or_the_root_users_keys(self, ctx, alice, acct):
        bob = self_service(ctx, "bob")
        alice_key = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        root_key = access_keys.create_access_key(ctx).access_key.access_key_id
        bob_arn = bob.caller.arn
        attempts = [
            ("iam:CreateAccessKey", lambda: access_keys.create_access_key(bob, user_name="alice")),
            ("iam:ListAccessKeys", lambda: key_reads.list_access_keys(bob, user_name="alice")),
            (
                "iam:UpdateAccessKey",
                lambda: access_keys.update_access_key(
                    bob, user_name="alice", access_key_id=alice_key, status="Inactive"
                ),
            ),
            (
                "iam:DeleteAccessKey",
                lambda: access_keys.delete_access_key(bob, user_name="alice", access_key_id=alice_key),
            ),
            (
                "iam:GetAccessKeyLastUsed",
                lambda: key_reads.get_access_key_last_used(bob, access_key_id=alice_key),
            ),
        ]
        for action, attempt in attempts:
            with pytest.raises(AccessDeniedError) as caught:
                attempt()
            assert caught.value.message == denial(bob_arn, action, alice.arn)
        with pytest.raises(AccessDeniedError) as caught:
            key_reads.get_access_key_last_used(bob, access_key_id=root_key)
        assert caught.value.message == denial(
            bob_arn, "iam:GetAccessKeyLastUsed", f"arn:aws:iam::{acct}:root"
        )
        # Without a name, another user's key id is simply not among its own keys.
        with pytest.raises(NoSuchEntityError, match=f"^The Access Key with id {alice_key} cannot be found.$"):
            access_keys.delete_access_key(bob, access_key_id=alice_key)
        assert AccessKey.objects.filter(user=alice).count() == 1
        assert AccessKey.objects.get(access_key_id=alice_key).status == "Active"

    def test_a_user_under_a_path_is_not_matched_by_the_path_less_resource(self, ctx, acct):
        carol = create_user(ctx, user_name="carol", path="/dev/")
        f.put_user_policy(
            carol, "Own", f.allow(["iam:*AccessKey*"], f"arn:aws:iam::{acct}:user/${{aws:username}}")
        )
        with pytest.raises(AccessDeniedError) as caught:
            access_keys.create_access_key(f.context_for(carol))
        assert caught.value.message == denial(
            carol.arn, "iam:CreateAccessKey", f"arn:aws:iam::{acct}:user/dev/carol"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_for_one_user_end_with_exactly_two_keys():
    ctx = f.root_context()
    create_user(ctx, user_name="racer")
    results: list[str] = []
    barrier = threading.Barrier(20, timeout=30)

    def attempt() -> None:
        try:
            barrier.wait()
            access_keys.create_access_key(f.root_context(ctx.caller), user_name="racer")
            results.append("ok")
        except LimitExceededError as exc:
            results.append(exc.message)
        except Exception as exc:  # a deadlock or anything else must show in the assertion below
            results.append(repr(exc))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Cannot exceed quota for AccessKeysPerUser: 2"] * 18 + ["ok"] * 2
    assert AccessKey.objects.filter(user__user_name="racer").count() == 2
    assert sorted(events("iam:CreateAccessKey")) == [("failed", "LimitExceeded")] * 18 + [("success", "")] * 2
