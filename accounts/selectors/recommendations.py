"""The IAM dashboard's reads: resource counts (GetAccountSummary) and security recommendations
computed from the account's live state, each in a constant number of queries.

Who sees what: the dashboard needs iam:GetAccountSummary, as the IAM console's does; the root
user's MFA and access keys are part of that summary. The checks of the root user's activity and of
every IAM user's MFA and access keys read what AWS's credential report holds, so they need
iam:GetCredentialReport; the password policy check needs iam:GetAccountPasswordPolicy. A check the
caller may not run is reported as not checked, never as passed.

The recommendations about IAM users (users-without-mfa, access-keys-unused, access-keys-old) are
the findings of accounts/selectors/findings.py, defined there once: this module counts and names
the same rows (the same querysets, in the same order) with the same severities, in the dashboard's
words; the root user's and the password policy's recommendations are this module's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery

from .. import arns
from ..context import RequestContext
from ..models import AccessKey, Account, AuditEvent, PasswordPolicy
from . import findings as finding_defs
from .account import get_account_summary
from .findings import CRITICAL, MEDIUM, READ_CREDENTIAL_REPORT, SEVERITIES, Unchecked
from .permissions import allowed

ROOT_RECENT_DAYS = 30  # root activity within this many days is "used recently"
MAX_NAMES = 10  # users or keys named per recommendation; the rest are counted

# The permission of the password policy check (the credential report's is the findings').
READ_PASSWORD_POLICY = "iam:GetAccountPasswordPolicy"
# The findings these recommendations make (the dashboard shows the other findings as they are).
FROM_FINDINGS = (
    finding_defs.USERS_WITHOUT_MFA,
    finding_defs.ACCESS_KEYS_UNUSED,
    finding_defs.ACCESS_KEYS_OLD,
)


@dataclass(frozen=True)
class Recommendation:
    """One thing to fix: how urgent, what to do (with the live numbers), where to do it."""

    code: str  # stable: root-mfa, root-access-keys, root-used-recently, password-policy, …
    severity: str  # critical | high | medium | low
    text: str
    url_name: str  # the console page that fixes it
    fix: str  # that link's label
    root_only: bool = False  # only the root user can fix it (its own credentials)
    names: tuple[str, ...] = ()  # the users or keys concerned, at most MAX_NAMES
    more: int = 0  # how many more there are beyond `names`
    help_topic: str = ""


@dataclass(frozen=True)
class SecurityReport:
    recommendations: tuple[Recommendation, ...]
    unchecked: tuple[Unchecked, ...]
    root_last_used: datetime | None  # within the last ROOT_RECENT_DAYS days; None if not (or unchecked)


@dataclass(frozen=True)
class Dashboard:
    """The IAM dashboard: the account, its GetAccountSummary map and its security report."""

    account_id: str
    alias: str | None
    summary: dict[str, int]
    report: SecurityReport


def dashboard(ctx: RequestContext) -> Dashboard:
    """The dashboard's data; needs iam:GetAccountSummary (authorized once, by GetAccountSummary)."""
    summary = get_account_summary(ctx)
    report, alias = _report(ctx, summary)
    return Dashboard(ctx.account.account_id, alias, summary, report)


def security_recommendations(ctx: RequestContext) -> SecurityReport:
    """The account's security recommendations, most urgent first; needs iam:GetAccountSummary."""
    summary = get_account_summary(ctx)
    return _report(ctx, summary)[0]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _ago(now: datetime, then: datetime) -> str:
    days = (now - then).days
    if days <= 0:
        return "today"
    return f"{_plural(days, 'day', 'days')} ago"


def _count(queryset: QuerySet) -> Subquery:
    """SELECT COUNT(*) of a queryset correlated with the outer account row, as a scalar subquery."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _report(ctx: RequestContext, summary: dict[str, int]) -> tuple[SecurityReport, str | None]:
    """The recommendations from one query of facts and at most three of names; (report, alias)."""
    may = allowed(
        ctx,
        {
            "password_policy": (READ_PASSWORD_POLICY, "*"),  # no resource type in IAM: always "*"
            "report": (READ_CREDENTIAL_REPORT, "*"),
        },
    )
    now = ctx.now
    root_since = now - timedelta(days=ROOT_RECENT_DAYS)
    account = OuterRef("pk")
    keys = finding_defs.user_access_keys(account)
    unused, too_old = finding_defs.unused_key(now), finding_defs.old_key(now)
    root_events = AuditEvent.objects.filter(
        account=account, actor_arn=arns.root(ctx.account.account_id), time__gte=root_since
    ).order_by("-time")
    root_keys_used = AccessKey.objects.filter(
        user__account=account, user__is_root=True, last_used_date__isnull=False
    ).order_by("-last_used_date")
    facts = (
        Account.objects.filter(pk=ctx.account.pk)
        .values(
            "alias",
            has_password_policy=Exists(PasswordPolicy.objects.filter(account=account)),
            # AllowUsersToChangePassword lets every IAM user read the policy (GetAccountPasswordPolicy).
            policy_readable=Exists(
                PasswordPolicy.objects.filter(account=account, allow_users_to_change_password=True)
            ),
            n_root_keys=_count(AccessKey.objects.filter(user__account=account, user__is_root=True)),
            root_event=Subquery(root_events.values("time")[:1]),
            root_key_used=Subquery(root_keys_used.values("last_used_date")[:1]),
            n_without_mfa=_count(finding_defs.users_without_mfa(account)),
            n_unused=_count(keys.filter(unused)),
            n_too_old=_count(keys.filter(too_old)),
        )
        .get()
    )
    found: list[Recommendation] = []
    unchecked: list[Unchecked] = []

    if not summary["AccountMFAEnabled"]:
        found.append(
            Recommendation(
                "root-mfa",
                CRITICAL,
                "The root user has no MFA device. Enable MFA on the root user: it has complete access to "
                "the account, and with MFA a stolen or guessed password alone no longer opens it.",
                "console:security_credentials",
                "Assign an MFA device",
                root_only=True,
                help_topic="mfa",
            )
        )
    if summary["AccountAccessKeysPresent"]:
        n = facts["n_root_keys"]
        found.append(
            Recommendation(
                "root-access-keys",
                CRITICAL,
                f"The root user has {_plural(n, 'access key', 'access keys')}. Delete "
                f"{'it' if n == 1 else 'them'}: root access keys can do everything in the account and no "
                "policy restricts them. Give IAM users their own access keys instead.",
                "console:security_credentials",
                "Manage the root user's access keys",
                root_only=True,
                help_topic="root-user",
            )
        )

    root_last_used = None
    if may["report"]:
        used = [t for t in (facts["root_event"], facts["root_key_used"]) if t is not None and t >= root_since]
        root_last_used = max(used, default=None)
        if root_last_used is not None:
            found.append(
                Recommendation(
                    "root-used-recently",
                    MEDIUM,
                    f"The root user was used {_ago(now, root_last_used)}. Don't use the root user for "
                    "everyday or even administrative tasks: sign in as your own administrator IAM user, "
                    "and keep the root user for the few tasks that need it.",
                    "console:onboarding",
                    "Use an administrator IAM user instead",
                    help_topic="root-user",
                )
            )
    else:
        unchecked.append(Unchecked("When the root user was last used", READ_CREDENTIAL_REPORT))

    if may["password_policy"] or facts["policy_readable"]:
        if not facts["has_password_policy"]:
            found.append(
                Recommendation(
                    "password-policy",
                    MEDIUM,
                    "No password policy is set. Set one so that IAM users' passwords must meet your rules "
                    "for length and complexity, and expire if you want them to.",
                    "console:account_settings",
                    "Set a password policy",
                    help_topic="users",
                )
            )
    else:
        unchecked.append(Unchecked("The account's password policy", READ_PASSWORD_POLICY))

    if may["report"]:
        found.extend(_user_findings(ctx, facts, keys=(unused, too_old)))
    else:
        _, action, what = finding_defs.CHECKS["credentials"]
        unchecked.append(Unchecked(what, action))

    found.sort(key=lambda r: SEVERITIES.index(r.severity))  # stable: the order above within a severity
    return SecurityReport(tuple(found), tuple(unchecked), root_last_used), facts["alias"]


def _user_findings(ctx: RequestContext, facts: dict, *, keys: tuple[Q, Q]) -> list[Recommendation]:
    """The findings users-without-mfa, access-keys-unused and access-keys-old as recommendations:
    the counts come from `facts`; the first MAX_NAMES names of each (ListFindings' first items)
    cost one query, made only when there is something to name."""
    found = []
    n = facts["n_without_mfa"]
    if n:
        names = tuple(
            finding_defs.users_without_mfa(ctx.account).values_list("user_name", flat=True)[:MAX_NAMES]
        )
        found.append(
            Recommendation(
                finding_defs.USERS_WITHOUT_MFA,
                finding_defs.SEVERITY[finding_defs.USERS_WITHOUT_MFA],
                f"{_plural(n, 'IAM user with console access has', 'IAM users with console access have')} "
                "no MFA device. Assign one to each: a password alone is easy to guess or steal.",
                "console:users",
                "Review users",
                names=names,
                more=n - len(names),
                help_topic="mfa",
            )
        )
    unused, too_old = keys
    for code, count, condition, words, text in (
        (
            finding_defs.ACCESS_KEYS_UNUSED,
            facts["n_unused"],
            unused,
            ("active access key has", "active access keys have"),
            f"not been used in the last {finding_defs.UNUSED_DAYS} days. Deactivate unused keys, and "
            "delete them once you are sure nothing needs them.",
        ),
        (
            finding_defs.ACCESS_KEYS_OLD,
            facts["n_too_old"],
            too_old,
            ("active access key is", "active access keys are"),
            f"older than {finding_defs.ROTATION_DAYS} days. Rotate old keys: create a new key, switch "
            "applications to it, then deactivate and delete the old one.",
        ),
    ):
        if not count:
            continue
        rows = (
            finding_defs.user_access_keys(ctx.account)
            .filter(condition)
            .values_list("user__user_name", "access_key_id")[:MAX_NAMES]
        )
        names = tuple(f"{user_name} ({key_id})" for user_name, key_id in rows)
        found.append(
            Recommendation(
                code,
                finding_defs.SEVERITY[code],
                f"{_plural(count, *words)} {text}",
                "console:users",
                "Review users' access keys",
                names=names,
                more=count - len(names),
                help_topic="users",
            )
        )
    return found
