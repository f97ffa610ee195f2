"""Findings: the account's IAM users, access keys, roles and policies that break a best practice,
each with every affected item (ListFindings, a portal extension; the dashboard shows them too).

- users-without-mfa: IAM users with a console password and no MFA device;
- access-keys-unused: active keys last used 90 days ago or more, or never used and created 90
  days ago or more (as IAM Access Analyzer's unused access: a key younger than the tracking period
  is not judged); access-keys-old: active keys created 90 days ago or more (rotate them);
- roles-unused: roles created 90 days ago or more that were never used, or not in 90 days
  (accounts/selectors/role_usage.py says when a role was used);
- policies-allow-all: customer managed policies (their default version) and inline policies of
  users, groups and roles with an Allow statement whose Action and Resource both include "*"
  exactly (not NotAction / NotResource). A statement with a Condition counts too: it still grants
  everything whenever its condition holds, so the item says "conditional";
- users-with-direct-policies: IAM users with managed policies attached or inline policies of their
  own instead of receiving permissions through groups.

This module is the ONE definition of each finding: the dashboard's recommendations about IAM users'
MFA and access keys (accounts/selectors/recommendations.py) count and name the rows of
`users_without_mfa`, `user_access_keys` filtered by `unused_key` / `old_key`, with the severities
of SEVERITY, so the dashboard and ListFindings always agree.

Who sees what, as the pages they summarize: the users' MFA and access key checks read what the
credential report holds (iam:GetCredentialReport); the role and policy checks read what
GetAccountAuthorizationDetails returns (iam:GetAccountAuthorizationDetails). A check the caller
may not run is reported as unchecked, never as passed; ListFindings needs at least one of the two.
Each check costs a fixed number of queries, whatever the number of users, keys, roles and policies.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)

from .. import arns
from ..authz import authorize
from ..context import RequestContext
from ..models import AccessKey, Account, LoginProfile, MFADevice, Role, User
from .permissions import allowed
from .role_usage import roles_last_used

CRITICAL, HIGH, MEDIUM, LOW = "critical", "high", "medium", "low"
SEVERITIES = (CRITICAL, HIGH, MEDIUM, LOW)  # most urgent first
UNUSED_DAYS = 90  # keys and roles unused this long are unused
ROTATION_DAYS = 90  # active keys this old should be rotated
READ_CREDENTIAL_REPORT = "iam:GetCredentialReport"
READ_AUTHORIZATION_DETAILS = "iam:GetAccountAuthorizationDetails"

USERS_WITHOUT_MFA = "users-without-mfa"
ACCESS_KEYS_UNUSED = "access-keys-unused"
ACCESS_KEYS_OLD = "access-keys-old"
ROLES_UNUSED = "roles-unused"
POLICIES_ALLOW_ALL = "policies-allow-all"
USERS_WITH_DIRECT_POLICIES = "users-with-direct-policies"
SEVERITY = {
    USERS_WITHOUT_MFA: HIGH,
    POLICIES_ALLOW_ALL: HIGH,
    ACCESS_KEYS_UNUSED: MEDIUM,
    ACCESS_KEYS_OLD: MEDIUM,
    ROLES_UNUSED: LOW,
    USERS_WITH_DIRECT_POLICIES: LOW,
}
# Each check: the findings it makes, the permission it needs, and what it checks (when unchecked).
CHECKS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "credentials": (
        (USERS_WITHOUT_MFA, ACCESS_KEYS_UNUSED, ACCESS_KEYS_OLD),
        READ_CREDENTIAL_REPORT,
        "IAM users' MFA devices and access keys",
    ),
    "roles": ((ROLES_UNUSED,), READ_AUTHORIZATION_DETAILS, "When roles were last used"),
    "policies": (
        (POLICIES_ALLOW_ALL, USERS_WITH_DIRECT_POLICIES),
        READ_AUTHORIZATION_DETAILS,
        "Policies that allow everything, and users with policies of their own",
    ),
}
CODES = tuple(code for codes, _, _ in CHECKS.values() for code in codes)

# Item kinds: what an item is, and so which console page shows it.
USER, ACCESS_KEY, ROLE, POLICY = "user", "access-key", "role", "policy"
USER_POLICY, GROUP_POLICY, ROLE_POLICY = "user-policy", "group-policy", "role-policy"


@dataclass(frozen=True)
class Unchecked:
    """A check the caller may not run, and the permission it needs."""

    check: str
    action: str


@dataclass(frozen=True)
class FindingItem:
    """One affected user, access key, role or policy.

    `name`: the user, role or policy name, or the access key id; `owner`: the user of an access
    key, or the user, group or role of an inline policy; `arn`: the item's ARN (for an access key
    or an inline policy, its owner's); `attached_to`: where a managed policy is attached
    ("user/alice", "group/Admins", "role/Deploy")."""

    kind: str
    name: str
    arn: str
    detail: str
    owner: str = ""
    attached_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str  # stable: users-without-mfa, access-keys-unused, …
    severity: str  # critical | high | medium | low
    title: str
    recommendation: str  # what to do, in AWS's voice
    items: tuple[FindingItem, ...]
    help_topic: str = ""

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Findings:
    findings: tuple[Finding, ...]  # most urgent first; only those with affected items
    unchecked: tuple[Unchecked, ...] = field(default=())


def list_findings(
    ctx: RequestContext, *, codes: Collection[str] | None = None, strict: bool = True
) -> Findings:
    """The account's findings, most urgent first (ListFindings). `codes` limits the checks run
    (the dashboard runs only those its recommendations do not already make, from the same
    definitions). `strict`: a caller who may run none of the checks is refused (AccessDenied,
    audited); otherwise (the dashboard, which only shows) every check is reported unchecked."""
    wanted = set(CODES if codes is None else codes)
    checks = {name: check for name, check in CHECKS.items() if wanted & set(check[0])}
    may = allowed(ctx, {action: (action, "*") for _, action, _ in checks.values()})
    if strict and checks and not any(may.values()):
        # Refused and audited with AWS's message, naming the permission of the last check asked for
        # (GetAccountAuthorizationDetails when all are).
        authorize(ctx, list(checks.values())[-1][1], "*")
    found: list[Finding] = []
    unchecked: list[Unchecked] = []
    for name, (_, action, what) in checks.items():
        if not may[action]:
            unchecked.append(Unchecked(what, action))
            continue
        found.extend(f for f in _RUN[name](ctx) if f.code in wanted and f.items)
    found.sort(key=lambda f: SEVERITIES.index(f.severity))  # stable: CHECKS' order within a severity
    return Findings(tuple(found), tuple(unchecked))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _days(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


# --- IAM users' credentials ----------------------------------------------------------------------
# The definitions, shared with the dashboard's recommendations: `account` may be an OuterRef to
# count them in a subquery. The querysets are ordered as the items are listed (and named).


def users_without_mfa(account: Account | OuterRef) -> QuerySet[User]:
    """users-without-mfa: IAM users with a console password (a login profile) and no MFA device,
    by name."""
    has_device = MFADevice.objects.filter(user=OuterRef("pk"))
    has_password = LoginProfile.objects.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(account=account, is_root=False)
        .filter(Exists(has_password), ~Exists(has_device))
        .order_by("user_name", "pk")
    )


def user_access_keys(account: Account | OuterRef) -> QuerySet[AccessKey]:
    """The active access keys of the account's IAM users, oldest first (the root user's keys are
    the dashboard's root-access-keys recommendation, never findings; inactive keys cannot be used)."""
    return AccessKey.objects.filter(
        user__account=account, user__is_root=False, status=AccessKey.ACTIVE
    ).order_by("created", "pk")


def unused_key(now: datetime) -> Q:
    """access-keys-unused: last used UNUSED_DAYS days ago or more, or never used and created that
    long ago (a younger key that was never used is not judged yet, as Access Analyzer's tracking
    period)."""
    since = now - timedelta(days=UNUSED_DAYS)
    return Q(last_used_date__lte=since) | Q(last_used_date__isnull=True, created__lte=since)


def old_key(now: datetime) -> Q:
    """access-keys-old: created ROTATION_DAYS days ago or more, used or not."""
    return Q(created__lte=now - timedelta(days=ROTATION_DAYS))


def _credentials(ctx: RequestContext) -> list[Finding]:
    """Two queries: console users without MFA; active keys that are unused or old."""
    now, account_id = ctx.now, ctx.account.account_id
    no_mfa = users_without_mfa(ctx.account).values_list("user_name", "path", "login_profile__created")
    users = tuple(
        FindingItem(
            USER,
            name,
            arns.user(account_id, path, name),
            f"Console password since {_date(created)}; no MFA device.",
        )
        for name, path, created in no_mfa
    )
    unused_q, old_q = unused_key(now), old_key(now)
    # One query for both findings: the database says which each key is, by the same Q objects
    # the dashboard counts with (never a second definition in Python).
    keys = (
        user_access_keys(ctx.account)
        .filter(unused_q | old_q)
        .annotate(
            is_unused=ExpressionWrapper(unused_q, output_field=BooleanField()),
            is_old=ExpressionWrapper(old_q, output_field=BooleanField()),
        )
        .values_list(
            "access_key_id",
            "user__user_name",
            "user__path",
            "created",
            "last_used_date",
            "is_unused",
            "is_old",
        )
    )
    unused, old = [], []
    for key_id, user_name, path, created, last_used, is_unused, is_old in keys:
        user_arn = arns.user(account_id, path, user_name)
        if is_unused:
            if last_used is None:
                detail = f"Never used; created {_days(now, created)} days ago."
            else:
                detail = f"Last used {_days(now, last_used)} days ago ({_date(last_used)})."
            unused.append(FindingItem(ACCESS_KEY, key_id, user_arn, detail, owner=user_name))
        if is_old:
            detail = f"Created {_days(now, created)} days ago ({_date(created)})."
            old.append(FindingItem(ACCESS_KEY, key_id, user_arn, detail, owner=user_name))
    return [
        Finding(
            USERS_WITHOUT_MFA,
            SEVERITY[USERS_WITHOUT_MFA],
            "IAM users with console access and no MFA",
            f"{_plural(len(users), 'IAM user has', 'IAM users have')} a console password and no MFA "
            "device. Assign an MFA device to each: with MFA, a stolen or guessed password alone no "
            "longer opens the console.",
            users,
            help_topic="mfa",
        ),
        Finding(
            ACCESS_KEYS_UNUSED,
            SEVERITY[ACCESS_KEYS_UNUSED],
            f"Access keys unused for {UNUSED_DAYS} days or more",
            f"{_plural(len(unused), 'active access key has', 'active access keys have')} not been used "
            f"in the last {UNUSED_DAYS} days. Deactivate access keys that nobody uses, and delete them "
            "once you are sure that no application needs them.",
            tuple(unused),
            help_topic="users",
        ),
        Finding(
            ACCESS_KEYS_OLD,
            SEVERITY[ACCESS_KEYS_OLD],
            f"Access keys older than {ROTATION_DAYS} days",
            f"{_plural(len(old), 'active access key was', 'active access keys were')} created "
            f"{ROTATION_DAYS} days ago or more. Rotate access keys regularly: create a second key, update "
            "your applications to use it, then deactivate and delete the old key.",
            tuple(old),
            help_topic="users",
        ),
    ]


# --- Roles -----------------------------------------------------------------------------------------


def _roles(ctx: RequestContext) -> list[Finding]:
    """Three queries: the roles, and roles_last_used's two aggregates over the audit log."""
    now, account_id = ctx.now, ctx.account.account_id
    since = now - timedelta(days=UNUSED_DAYS)
    last_used = roles_last_used(ctx.account)
    roles = (
        Role.objects.filter(account=ctx.account, created__lte=since)
        .order_by("role_name", "pk")
        .values_list("role_id", "role_name", "path", "created")
    )
    items = []
    for role_id, name, path, created in roles:
        used = last_used.get(role_id)
        if used is None:
            detail = f"Never used; created {_days(now, created)} days ago."
        elif used[0] <= since:
            detail = f"Last used {_days(now, used[0])} days ago ({_date(used[0])})."
        else:
            continue
        items.append(FindingItem(ROLE, name, arns.role(account_id, path, name), detail))
    return [
        Finding(
            ROLES_UNUSED,
            SEVERITY[ROLES_UNUSED],
            f"Roles unused for {UNUSED_DAYS} days or more",
            f"{_plural(len(items), 'role has', 'roles have')} not been used in the last {UNUSED_DAYS} "
            "days. Delete roles that nobody needs: fewer identities mean fewer ways into the account.",
            tuple(items),
            help_topic="roles",
        )
    ]


# --- Policies --------------------------------------------------------------------------------------


def allows_all(document: str) -> bool | None:
    """True if an Allow statement grants "*" on "*" without a condition, False if only with one,
    None if no statement does (NotAction / NotResource statements never count)."""
    try:
        tree = json.loads(document)
    except ValueError:
        return None  # stored documents were validated when written; a broken one grants nothing
    statements = tree.get("Statement") if isinstance(tree, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    found = None
    for st in statements if isinstance(statements, list) else ():
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "*" in _as_list(st.get("Action")) and "*" in _as_list(st.get("Resource")):
            if not st.get("Condition"):
                return True
            found = False
    return found


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _star(document: str) -> str | None:
    """The item's detail for a document that allows everything, or None."""
    verdict = allows_all(document)
    if verdict is None:
        return None
    if verdict:
        return 'Allows "*" on "*".'
    return 'Allows "*" on "*" when a condition holds (conditional).'


def _policies(ctx: RequestContext) -> list[Finding]:
    """At most eight queries: customer managed policies' default versions, where the ones found are
    attached (one per kind of entity), inline policies of users, groups and roles, and the users
    with policies of their own."""
    account, account_id = ctx.account, ctx.account.account_id
    star = Q(document__contains="*")  # a document without "*" cannot allow "*": not read at all
    managed = []
    versions = (
        PolicyVersion.objects.filter(star, policy__account=account, is_default=True)
        .order_by("policy__policy_name", "policy__pk")
        .values_list("policy_id", "policy__policy_name", "policy__arn", "version_id", "document")
    )
    for policy_pk, name, arn, version_id, document in versions:
        detail = _star(document)
        if detail is not None:
            managed.append((policy_pk, name, arn, f"Default version {version_id}: {detail}"))
    attached: dict[int, list[str]] = {pk: [] for pk, *_ in managed}
    if managed:
        for model, noun, name_field in (
            (UserPolicyAttachment, "user", "user__user_name"),
            (GroupPolicyAttachment, "group", "group__group_name"),
            (RolePolicyAttachment, "role", "role__role_name"),
        ):
            rows = (
                model.objects.filter(policy_id__in=attached)
                .order_by(name_field)
                .values_list("policy_id", name_field)
            )
            for policy_pk, entity in rows:
                attached[policy_pk].append(f"{noun}/{entity}")
    items = [
        FindingItem(POLICY, name, arn, detail, attached_to=tuple(attached[pk]))
        for pk, name, arn, detail in managed
    ]
    for model, kind, owner, path_field in (
        (UserPolicy, USER_POLICY, "user__user_name", "user__path"),
        (GroupPolicy, GROUP_POLICY, "group__group_name", "group__path"),
        (RolePolicy, ROLE_POLICY, "role__role_name", "role__path"),
    ):
        noun = kind.split("-")[0]
        entity = owner.split("__")[0]
        rows = (
            model.objects.filter(star, **{f"{entity}__account": account})
            .order_by(owner, "policy_name")
            .values_list("policy_name", owner, path_field, "document")
        )
        for policy_name, owner_name, path, document in rows:
            detail = _star(document)
            if detail is not None:
                arn = getattr(arns, noun)(account_id, path, owner_name)
                items.append(
                    FindingItem(
                        kind,
                        policy_name,
                        arn,
                        f"Inline policy of {noun} {owner_name}: {detail}",
                        owner=owner_name,
                        attached_to=(f"{noun}/{owner_name}",),
                    )
                )
    return [
        Finding(
            POLICIES_ALLOW_ALL,
            SEVERITY[POLICIES_ALLOW_ALL],
            'Policies that allow all actions on all resources ("*" on "*")',
            f"{_plural(len(items), 'policy allows', 'policies allow')} every action on every resource: "
            "full administrator access. Grant least privilege instead: allow only the actions and "
            "resources that each job needs, and keep full access for the few administrators who need "
            "it (AWS managed AdministratorAccess, through an administrators group).",
            tuple(items),
            help_topic="policies",
        ),
        _direct_policies(ctx),
    ]


def _direct_policies(ctx: RequestContext) -> Finding:
    account_id = ctx.account.account_id
    attached = UserPolicyAttachment.objects.filter(user=OuterRef("pk"))
    inline = UserPolicy.objects.filter(user=OuterRef("pk"))
    rows = (
        User.objects.filter(account=ctx.account, is_root=False)
        .annotate(has_attached=Exists(attached), has_inline=Exists(inline))
        .filter(Q(has_attached=True) | Q(has_inline=True))
        .order_by("user_name", "pk")
        .values_list("user_name", "path", "has_attached", "has_inline")
    )
    items = tuple(
        FindingItem(USER, name, arns.user(account_id, path, name), _direct_detail(has_attached, has_inline))
        for name, path, has_attached, has_inline in rows
    )
    return Finding(
        USERS_WITH_DIRECT_POLICIES,
        SEVERITY[USERS_WITH_DIRECT_POLICIES],
        "Users with permissions granted directly",
        f"{_plural(len(items), 'IAM user has', 'IAM users have')} policies attached directly instead of "
        "through groups. Granting permissions to each user does not scale: put users in groups "
        "organized by job function (developers, security, admins), attach the policies to the "
        "groups, and remove the users' own policies.",
        items,
        help_topic="groups",
    )


def _direct_detail(has_attached: bool, has_inline: bool) -> str:
    parts = [
        text
        for present, text in ((has_attached, "managed policies attached"), (has_inline, "inline policies"))
        if present
    ]
    return "Has " + " and ".join(parts) + "."


_RUN = {"credentials": _credentials, "roles": _roles, "policies": _policies}
