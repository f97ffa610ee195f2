"""AWS managed policies as data: one JSON file per policy, {"PolicyName", "Path", "Description",
"Document"}, loaded into the database by migrations (`sync`) as policies with no account.

Documents and descriptions are AWS's, copied from the AWS Managed Policy Reference
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<PolicyName>.html) as that
reference stood in 2026 and cross-checked with the zoph-io/MAMIP and iann0036/iam-dataset trackers;
AWS's version then: AdministratorAccess v1, AmazonS3ReadOnlyAccess v3, IAMAccessAdvisorReadOnly v1,
IAMFullAccess v2, IAMReadOnlyAccess v4, IAMSelfManageServiceSpecificCredentials v1,
IAMUserChangePassword v3, IAMUserSSHKeys v1, PowerUserAccess v12. Here each starts at v1.

To follow an AWS update: change the JSON file and add a migration that runs `sync` again. A changed
document becomes a new default version (the stored text of a version never changes) and every
account's authorization generation is bumped, since attached principals may now do other things.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.db.models import F
from django.utils import timezone

DIRECTORY = Path(__file__).resolve().parent
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MAX_VERSIONS = 5  # as for every managed policy


def definitions() -> list[dict[str, Any]]:
    """The policies in this folder, by name."""
    return [json.loads(path.read_text()) for path in sorted(DIRECTORY.glob("*.json"))]


def arn(path: str, name: str) -> str:
    return f"arn:aws:iam::aws:policy{path}{name}"


def document_text(document: dict[str, Any]) -> str:
    """The stored text of a document: AWS's element order, four-space indents."""
    return json.dumps(document, indent=4)


def new_policy_id() -> str:
    """ANPA and 17 random characters, the form of accounts.models.unique_id (which policies may not
    import, and a migration should not)."""
    return "ANPA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def version_number(version_id: str) -> int:
    """3 for "v3" (and for "v3.beta"): version ids are numbered in order of creation."""
    head = version_id[1:].split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def sync(apps, schema_editor=None) -> None:
    """Create the AWS managed policies, or bring existing ones up to date; running it again is a no-op.

    `apps` is a migration's historical app registry (or django.apps.apps).
    """
    ManagedPolicy = apps.get_model("policies", "ManagedPolicy")
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    Account = apps.get_model("accounts", "Account")
    changed = False
    for item in definitions():
        name, path, description = item["PolicyName"], item["Path"], item["Description"]
        text = document_text(item["Document"])
        policy = ManagedPolicy.objects.filter(account__isnull=True, arn=arn(path, name)).first()
        if policy is None:
            policy = ManagedPolicy.objects.create(
                account=None,
                policy_name=name,
                path=path,
                policy_id=new_policy_id(),
                arn=arn(path, name),
                description=description,
            )
            PolicyVersion.objects.create(policy=policy, version_id="v1", document=text, is_default=True)
            continue
        versions = list(PolicyVersion.objects.filter(policy=policy).order_by("pk"))
        default = next((v for v in versions if v.is_default), None)
        if default is not None and default.document == text and policy.description == description:
            continue
        if default is None or default.document != text:
            # A new default version, as AWS publishes one; the old text stays as it was.
            PolicyVersion.objects.filter(policy=policy, is_default=True).update(is_default=False)
            number = max((version_number(v.version_id) for v in versions), default=0) + 1
            PolicyVersion.objects.create(
                policy=policy, version_id=f"v{number}", document=text, is_default=True
            )
            keep = PolicyVersion.objects.filter(policy=policy).order_by("-pk")[:MAX_VERSIONS]
            PolicyVersion.objects.filter(policy=policy).exclude(
                pk__in=list(keep.values_list("pk", flat=True))
            ).delete()
            changed = True
        policy.description = description
        policy.updated = timezone.now()
        policy.save(update_fields=["description", "updated"])
    if changed:
        # Attached principals in any account may now do other things; cached policy sets are stale.
        Account.objects.update(authz_generation=F("authz_generation") + 1)
