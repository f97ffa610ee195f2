"""Import of an account's IAM state from a GetAccountAuthorizationDetails document (a portal extension,
audited as portal:ImportAccountAuthorizationDetails; docs/authorization-details.md).

The document is what boto3 or the AWS CLI print (documents as JSON objects, dates as text), what the
REST API's GET /api/v1/account/authorization-details/ returns, or the Query API's answer with
URL-encoded documents; several pages may be given as a list. It restores customer managed policies
(every version, the default one, their version ids), groups, users and roles (paths, tags, trust
policies, permissions boundaries), inline policies, attachments (AWS managed ones by ARN) and
memberships. It holds no secret, so none is restored: no password, access key or MFA device.

Each write goes through the service that does it on its own (CreatePolicy, CreateUser, PutUserPolicy,
AttachRolePolicy, …): each is authorized as the caller, checks its quota and is audited. They run in
one outer transaction, so the first error (a bad document, an unknown policy ARN, a taken name, a
quota, a denial) undoes every write: nothing is imported. A denial's audit row is written again after
the rollback, so that it stays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from django.db.models import Model

from iam_portal.errors import AccessDeniedError, IamError, InvalidInputError
from policies import services as policy_services
from policies.managed import version_number
from policies.models import ManagedPolicy, PolicyVersion

from .. import audit
from ..context import RequestContext
from ..models import Group, Role, User
from . import groups, policy_attachments, roles, users

ACTION = "portal:ImportAccountAuthorizationDetails"
FAIL, SKIP = "fail", "skip"
ON_CONFLICT = (FAIL, SKIP)
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a generous bound on what is parsed at all
_ACCOUNT_IN_ARN = re.compile(r"^arn:aws:iam::(\d{12}):")
_DENIED = re.compile(r"is not authorized to perform: (\S+) on resource: (\S+)")


@dataclass
class ImportSummary:
    """What the import created (names; policy ARNs in the target account) and what it left alone."""

    source_account_id: str | None = None
    policies: list[str] = field(default_factory=list)
    policy_versions: int = 0
    groups: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    inline_policies: int = 0
    attachments: int = 0
    memberships: int = 0
    skipped: list[str] = field(default_factory=list)  # "User alice", … (on_conflict="skip")

    def counts(self) -> dict[str, int]:
        return {
            "policies": len(self.policies),
            "policy_versions": self.policy_versions,
            "groups": len(self.groups),
            "users": len(self.users),
            "roles": len(self.roles),
            "inline_policies": self.inline_policies,
            "attachments": self.attachments,
            "memberships": self.memberships,
            "skipped": len(self.skipped),
        }


# --- Reading the document ---------------------------------------------------------------------------


def _invalid(where: str, problem: str) -> InvalidInputError:
    error = InvalidInputError(f"Invalid authorization details at {where}: {problem}.")
    error.import_item = where  # type: ignore[attr-defined]  # already names the item: _Run.at keeps it
    return error


def parse_details(content: str | bytes | dict | list) -> dict[str, list]:
    """The four lists of a GetAccountAuthorizationDetails document (pages concatenated)."""
    if isinstance(content, bytes):
        if len(content) > MAX_DOCUMENT_BYTES:
            raise _invalid("the document", f"it is larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _invalid("the document", "it is not UTF-8 text") from None
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except RecursionError:
            raise _invalid("the document", "it is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise _invalid(
                "the document", f"it is not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
            ) from None
    pages = content if isinstance(content, list) else [content]
    if not pages:
        raise _invalid("the document", "it is an empty list of pages")
    merged: dict[str, list] = {name: [] for name in LISTS}
    for number, page in enumerate(pages):
        where = "the document" if len(pages) == 1 else f"page {number}"
        if not isinstance(page, dict):
            raise _invalid(
                where,
                "it must be a JSON object with UserDetailList, GroupDetailList, RoleDetailList and Policies",
            )
        if not any(name in page for name in LISTS):
            raise _invalid(where, "it has none of UserDetailList, GroupDetailList, RoleDetailList, Policies")
        for name in LISTS:
            items = page.get(name, [])
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise _invalid(f"{name}", "it must be a list of objects")
            merged[name].extend(items)
    return merged


def _text(item: dict, member: str, where: str, *, required: bool = True, default: str | None = None) -> Any:
    value = item.get(member, default)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _invalid(f"{where}.{member}", "it must be a non-empty string")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL: refused before any query sees it
        raise _invalid(f"{where}.{member}", "it must not contain a NUL character")
    return value


def _list(item: dict, member: str, where: str, *, of: type = dict) -> list:
    """A list member whose entries are all `of` (objects, or strings for GroupList)."""
    value = item.get(member) or []
    if not isinstance(value, list) or not all(isinstance(entry, of) for entry in value):
        kind = "objects" if of is dict else "strings"
        raise _invalid(f"{where}.{member}", f"it must be a list of {kind}")
    return value


def document_text(value: object, where: str) -> str:
    """A policy document as JSON text: a JSON object (boto3, the CLI, the REST API) or text, plain or
    URL-encoded (the Query API's raw answer)."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str) and value and "\x00" not in value:
        for candidate in (value, unquote(value)):
            try:
                if isinstance(json.loads(candidate), dict):
                    return candidate
            except json.JSONDecodeError:
                continue
    raise _invalid(where, "it must be a policy document (a JSON object, or its text)")


def source_account_id(details: dict[str, list]) -> str | None:
    """The account the document describes: the one account id in its users', groups', roles' and
    customer managed policies' ARNs."""
    found = set()
    for name in LISTS:
        for item in details[name]:
            match = _ACCOUNT_IN_ARN.match(str(item.get("Arn", "")))
            if match:
                found.add(match.group(1))
    if len(found) > 1:
        raise _invalid("the document", f"its ARNs name more than one account ({', '.join(sorted(found))})")
    return found.pop() if found else None


class _Rewriter:
    """Source account id → target account id in policy ARNs and trust policies."""

    def __init__(self, source: str | None, target: str) -> None:
        self.source, self.target = source, target
        self._id = re.compile(rf"(?<!\d){source}(?!\d)") if source else None

    def arn(self, arn: str) -> str:
        prefix = f"arn:aws:iam::{self.source}:"
        if self.source and arn.startswith(prefix):
            return f"arn:aws:iam::{self.target}:" + arn[len(prefix) :]
        return arn

    def trust_policy(self, text: str) -> str:
        """Every principal of the source account ("arn:aws:iam::<id>:root", "<id>", its roles and
        users) becomes the target account's; other accounts and services stay."""
        return self._id.sub(self.target, text) if self._id else text


# --- Writing ----------------------------------------------------------------------------------------


@dataclass
class _Run:
    ctx: RequestContext
    on_conflict: str
    rewrite: _Rewriter
    summary: ImportSummary
    where: str = ""
    entry: audit.Entry | None = None

    @contextmanager
    def at(self, where: str) -> Iterator[None]:
        """Name the item being written in any error it raises (AWS's code, the item in the message)."""
        self.where = where
        if self.entry is not None:
            self.entry.parameters["item"] = where  # a failure's audit row names the item
        try:
            yield
        except AccessDeniedError:
            raise  # AWS's wording, unchanged: it names the action and the resource
        except IamError as exc:
            if getattr(exc, "import_item", None):
                raise
            named = type(exc)(f"{where}: {exc.message}")
            named.import_item = where  # type: ignore[attr-defined]
            raise named from exc

    def exists(self, model: type[Model], **lookup: object) -> bool:
        return model.objects.filter(account=self.ctx.account, **lookup).exists()

    def skipped(self, kind: str, name: str, exists: bool) -> bool:
        """Whether an existing entity is left alone (on_conflict="skip"); with "fail" the service
        raises EntityAlreadyExists itself."""
        if exists and self.on_conflict == SKIP:
            self.summary.skipped.append(f"{kind} {name}")
            return True
        return False

    def document(self, value: object, where: str) -> str:
        with self.at(where):
            return document_text(value, where)

    def policy(self, item: dict, index: int) -> None:
        where = f"Policies[{index}]"
        arn = _text(item, "Arn", where)
        if arn.startswith("arn:aws:iam::aws:"):
            return  # AWS managed: every account has it; attachments name it by ARN
        name = _text(item, "PolicyName", where)
        where = f"{where} ({name})"
        target_arn = self.rewrite.arn(arn)
        # Names are unique per account whatever the path (as CreatePolicy checks them).
        if self.skipped("Policy", target_arn, self.exists(ManagedPolicy, policy_name__iexact=name)):
            return
        versions = _list(item, "PolicyVersionList", where)
        if not versions:
            raise _invalid(f"{where}.PolicyVersionList", "a policy needs at least one version")
        versions.sort(key=lambda v: version_number(str(v.get("VersionId", ""))))
        default_id = item.get("DefaultVersionId") or next(
            (v.get("VersionId") for v in versions if v.get("IsDefaultVersion")), None
        )
        texts = [
            self.document(v.get("Document"), f"{where}.PolicyVersionList[{i}].Document")
            for i, v in enumerate(versions)
        ]
        with self.at(where):
            policy = policy_services.create_policy(
                self.ctx,
                policy_name=name,
                policy_document=texts[0],
                path=item.get("Path") or "/",
                description=item.get("Description") or None,
            )
            for version, text in zip(versions[1:], texts[1:], strict=True):
                policy_services.create_policy_version(
                    self.ctx,
                    policy_arn=policy.arn,
                    policy_document=text,
                    set_as_default=version.get("VersionId") == default_id,
                )
        self._keep_version_ids(policy, [str(v.get("VersionId", "")) for v in versions])
        self.summary.policies.append(policy.arn)
        self.summary.policy_versions += len(versions)

    def _keep_version_ids(self, policy: ManagedPolicy, source_ids: list[str]) -> None:
        """The versions were created as v1…vN; give them the file's ids (v2, v5, … after deletions)
        so that references to a version id still hold. Highest first: a new id is never lower than the
        one it replaces, so no two versions ever share an id."""
        if not all(re.fullmatch(r"v[1-9][0-9]*", v) for v in source_ids) or len(set(source_ids)) != len(
            source_ids
        ):
            return
        renamed = {}
        for created, wanted in reversed(list(enumerate(source_ids, start=1))):
            if f"v{created}" != wanted:
                PolicyVersion.objects.filter(policy=policy, version_id=f"v{created}").update(
                    version_id=wanted
                )
                renamed[f"v{created}"] = wanted
        if renamed and self.entry is not None:
            # The CreatePolicyVersion events name the ids the versions were created with; the import's
            # own event says what they became.
            self.entry.parameters.setdefault("version_ids", {})[policy.arn] = renamed
        highest = max(version_number(v) for v in source_ids)
        ManagedPolicy.objects.filter(pk=policy.pk, last_version_number__lt=highest).update(
            last_version_number=highest
        )

    def _inline_and_attached(
        self, item: dict, where: str, list_member: str, put: Callable[..., None], attach: Callable[..., None]
    ) -> None:
        for i, inline in enumerate(_list(item, list_member, where)):
            spot = f"{where}.{list_member}[{i}]"
            name = _text(inline, "PolicyName", spot)
            text = self.document(inline.get("PolicyDocument"), f"{spot}.PolicyDocument")
            with self.at(spot):
                put(policy_name=name, policy_document=text)
            self.summary.inline_policies += 1
        for i, attached in enumerate(_list(item, "AttachedManagedPolicies", where)):
            spot = f"{where}.AttachedManagedPolicies[{i}]"
            with self.at(spot):
                attach(policy_arn=self.rewrite.arn(_text(attached, "PolicyArn", spot)))
            self.summary.attachments += 1

    def _boundary(self, item: dict, where: str) -> str | None:
        boundary = item.get("PermissionsBoundary") or {}
        if not isinstance(boundary, dict):
            raise _invalid(f"{where}.PermissionsBoundary", "it must be an object")
        arn = boundary.get("PermissionsBoundaryArn")
        if arn is not None and not isinstance(arn, str):
            raise _invalid(f"{where}.PermissionsBoundary.PermissionsBoundaryArn", "it must be a string")
        return self.rewrite.arn(arn) if arn else None

    def group(self, item: dict, index: int) -> None:
        where = f"GroupDetailList[{index}]"
        name = _text(item, "GroupName", where)
        where = f"{where} ({name})"
        if self.skipped("Group", name, self.exists(Group, group_name__iexact=name)):
            return
        with self.at(where):
            groups.create_group(self.ctx, group_name=name, path=item.get("Path") or "/")
        self.summary.groups.append(name)

        def put(**kw: Any) -> None:
            policy_attachments.put_group_policy(self.ctx, group_name=name, **kw)

        def attach(**kw: Any) -> None:
            policy_attachments.attach_group_policy(self.ctx, group_name=name, **kw)

        self._inline_and_attached(item, where, "GroupPolicyList", put, attach)

    def user(self, item: dict, index: int) -> None:
        where = f"UserDetailList[{index}]"
        name = _text(item, "UserName", where)
        where = f"{where} ({name})"
        if self.skipped("User", name, self.exists(User, is_root=False, user_name__iexact=name)):
            return
        with self.at(where):
            users.create_user(
                self.ctx,
                user_name=name,
                path=item.get("Path") or "/",
                permissions_boundary=self._boundary(item, where),
                tags=_list(item, "Tags", where) or None,
            )
        self.summary.users.append(name)

        def put(**kw: Any) -> None:
            policy_attachments.put_user_policy(self.ctx, user_name=name, **kw)

        def attach(**kw: Any) -> None:
            policy_attachments.attach_user_policy(self.ctx, user_name=name, **kw)

        self._inline_and_attached(item, where, "UserPolicyList", put, attach)
        for i, group_name in enumerate(_list(item, "GroupList", where, of=str)):
            spot = f"{where}.GroupList[{i}]"
            if not isinstance(group_name, str):
                raise _invalid(spot, "it must be a group name")
            with self.at(spot):
                groups.add_user_to_group(self.ctx, group_name=group_name, user_name=name)
            self.summary.memberships += 1

    def role(self, item: dict, index: int) -> None:
        where = f"RoleDetailList[{index}]"
        name = _text(item, "RoleName", where)
        where = f"{where} ({name})"
        if self.skipped("Role", name, self.exists(Role, role_name__iexact=name)):
            return
        trust = self.document(item.get("AssumeRolePolicyDocument"), f"{where}.AssumeRolePolicyDocument")
        with self.at(where):
            roles.create_role(
                self.ctx,
                role_name=name,
                assume_role_policy_document=self.rewrite.trust_policy(trust),
                path=item.get("Path") or "/",
                permissions_boundary=self._boundary(item, where),
                tags=_list(item, "Tags", where) or None,
            )
        self.summary.roles.append(name)

        def put(**kw: Any) -> None:
            policy_attachments.put_role_policy(self.ctx, role_name=name, **kw)

        def attach(**kw: Any) -> None:
            policy_attachments.attach_role_policy(self.ctx, role_name=name, **kw)

        self._inline_and_attached(item, where, "RolePolicyList", put, attach)


def import_account_authorization_details(
    ctx: RequestContext, *, content: str | bytes | dict | list, on_conflict: str = FAIL
) -> ImportSummary:
    """Restore users, groups, roles and customer managed policies from the document, all or nothing.

    on_conflict: "fail" (default): an entity that exists already is EntityAlreadyExists and nothing is
    imported; "skip": it is left exactly as it is (nothing of the file's about it is applied) and the
    rest is imported.
    """
    if on_conflict not in ON_CONFLICT:
        raise InvalidInputError(f"on_conflict must be one of: {', '.join(ON_CONFLICT)}.")
    details = parse_details(content)
    source = source_account_id(details)
    summary = ImportSummary(source_account_id=source)
    run = _Run(ctx, on_conflict, _Rewriter(source, ctx.account.account_id), summary)
    try:
        with audit.write(
            ctx, ACTION, ctx.account.root_arn, source_account_id=source, on_conflict=on_conflict
        ) as entry:
            run.entry = entry
            # Policies first (attachments and boundaries name them), groups before their members.
            for index, item in enumerate(details["Policies"]):
                run.policy(item, index)
            for index, item in enumerate(details["GroupDetailList"]):
                run.group(item, index)
            for index, item in enumerate(details["UserDetailList"]):
                run.user(item, index)
            for index, item in enumerate(details["RoleDetailList"]):
                run.role(item, index)
            entry.parameters.pop("item", None)
            entry.parameters.update(summary.counts())
    except AccessDeniedError as denied:
        # The service audited its denial inside the import's transaction, which rolled it back: once
        # more, outside it, so that the denial stays on record.
        match = _DENIED.search(denied.message)
        action, target = match.groups() if match else (ACTION, ctx.account.root_arn)
        audit.record(ctx, action, target=target, outcome=audit.DENIED, error_code=denied.code, item=run.where)
        raise
    return summary
