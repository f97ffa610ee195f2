"""The "Secure your new account" walkthrough and its exercises: steps and checks that tick
themselves from the account's live state, each in a constant number of queries.

Both are overviews of the account and need iam:GetAccountSummary, as the dashboard does. The names
of the users, groups and policies a step mentions are shown only to a caller who may list them
(iam:ListUsers, iam:ListGroups, iam:ListPolicies); others see the status without the names.
The teaching texts follow ../shared/reference/TEACHING.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat, Lower

from policies.engine import Policy, PolicyError, PolicySet, Request, parse_policy
from policies.models import GroupPolicyAttachment, PolicyVersion

from .. import arns
from ..authz import authorize
from ..context import RequestContext
from ..models import (
    AccessKey,
    Account,
    AuditEvent,
    Group,
    GroupMembership,
    LoginProfile,
    MFADevice,
    PasswordPolicy,
    User,
)
from .permissions import allowed

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
DEVELOPERS, SECURITY = "Developers", "Security"  # the job-function groups the walkthrough creates
CONSOLE_LOGIN = "signin:ConsoleLogin"  # what accounts.services.signin records for a sign-in
MAX_NAMES = 10


@dataclass(frozen=True)
class Lesson:
    """The fixed part of a walkthrough step: what to do, why, where, and where to read more."""

    key: str
    title: str
    why: str  # two sentences
    how: str  # the clicks, next to the place where they happen
    url_name: str  # the console page that does it
    action: str  # that link's label
    help_topic: str
    root_only: bool = False  # only the root user can do it (its own credentials)
    url_takes_account: bool = False  # the link needs the account's alias or id


@dataclass(frozen=True)
class Step:
    """A lesson and whether the account has done it; `status` says what was found."""

    lesson: Lesson
    done: bool
    status: str


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == self.total

    @property
    def percent(self) -> int:
        return self.done_count * 100 // self.total


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "root-mfa",
        "Enable MFA on the root user",
        "The root user has complete access to everything in the account, billing and personal data "
        "included, and no policy restricts it. With MFA a sign-in needs a one-time code from your phone "
        "as well, so a guessed or stolen password alone no longer opens the account.",
        "Signed in as the root user: Security credentials → Multi-factor authentication (MFA) → "
        "Assign MFA device, then scan the QR code (or type the secret key) and enter two consecutive "
        "codes.",
        "console:security_credentials",
        "Assign an MFA device",
        "mfa",
        root_only=True,
    ),
    Lesson(
        "root-access-keys",
        "Delete the root user's access keys",
        "An access key id and its secret access key sign CLI, SDK and API requests with the root "
        "user's complete access, so anyone who holds both can do anything in the account. Delete the "
        "root user's keys, and don't create any unless a task truly needs them.",
        "Signed in as the root user: Security credentials → Access keys → Actions → Deactivate, then "
        "Delete, and confirm by typing the access key id.",
        "console:security_credentials",
        "Open the root user's security credentials",
        "root-user",
        root_only=True,
    ),
    Lesson(
        "password-policy",
        "Set a password policy",
        "A password policy sets the rules every IAM user's password must meet: its length, the kinds "
        "of characters, and how often it must change. Weak passwords such as a pet's name and a "
        "birthday are the first thing an attacker tries.",
        "Account settings → Password policy → Edit, choose the rules, then Save.",
        "console:account_settings",
        "Set a password policy",
        "users",
    ),
    Lesson(
        "admins-group",
        "Create an Admins group with AdministratorAccess",
        "Users in a group inherit the group's permissions, which scales where granting permissions to "
        "each user does not. The AWS managed policy AdministratorAccess allows every action on every "
        "resource, so only administrators belong in this group.",
        "User groups → Create group: name it Admins and attach the AdministratorAccess policy.",
        "console:groups",
        "Create a group",
        "groups",
    ),
    Lesson(
        "admin-user",
        "Create your own admin IAM user in it",
        "Don't use the root user for everyday or even administrative tasks: create an IAM user for "
        "yourself and work as that user. Each person gets their own user, with no shared credentials.",
        "Users → Create user: your name, console access with a password, then add it to the Admins group.",
        "console:user_create",
        "Create a user",
        "users",
    ),
    Lesson(
        "admin-sign-in",
        "Sign in as that user from the account's sign-in URL",
        "IAM users sign in at the account's own sign-in URL with their user name and password, not with "
        "the root user's email address. Once you have, keep the root user for the few tasks that need "
        "it.",
        "Sign out, open the account's sign-in URL and sign in with your IAM user name and password.",
        "accounts:signin_account",
        "Open the sign-in page",
        "authentication",
        url_takes_account=True,
    ),
    Lesson(
        "job-function-groups",
        "Create groups by job function: Developers and Security",
        "Groups organized by job function keep permissions manageable: a new developer is simply added "
        "to Developers, and a developer who becomes a security engineer moves to Security. A user can "
        "be in several groups, but groups cannot contain other groups.",
        "User groups → Create group, once named Developers and once named Security, each with the "
        "policies that job needs.",
        "console:groups",
        "Create a group",
        "groups",
    ),
)
LESSON = {lesson.key: lesson for lesson in LESSONS}


def _names(names: list[str], visible: bool, hidden: str) -> str:
    """Names as "alice, bob" (after MAX_NAMES, "and more"), or `hidden` for a caller who may not
    list them."""
    if not visible:
        return hidden
    shown = ", ".join(names[:MAX_NAMES])
    return shown if len(names) <= MAX_NAMES else f"{shown} and more"


def _visibility(ctx: RequestContext) -> dict[str, bool]:
    account_id = ctx.account.account_id
    return allowed(
        ctx,
        {
            "users": ("iam:ListUsers", arns.all_in(account_id, "user")),
            "groups": ("iam:ListGroups", arns.all_in(account_id, "group")),
            "policies": ("iam:ListPolicies", arns.all_in(account_id, "policy")),
        },
    )


def _has_administrator_access() -> Exists:
    """Whether the outer group has AdministratorAccess attached."""
    return Exists(
        GroupPolicyAttachment.objects.filter(group=OuterRef("pk"), policy__arn=ADMINISTRATOR_ACCESS)
    )


def _signed_in(account: Account) -> Exists:
    """Whether the outer IAM user has ever signed in to the console (a successful ConsoleLogin by it).

    The audit trail names the actor by ARN, built here from the user's current path and name.
    """
    arn = Concat(
        Value(f"arn:aws:iam::{account.account_id}:user"),
        OuterRef("path"),
        OuterRef("user_name"),
        output_field=CharField(),
    )
    return Exists(
        AuditEvent.objects.filter(
            account=account, action=CONSOLE_LOGIN, outcome=AuditEvent.SUCCESS, actor_arn=arn
        )
    )


def onboarding_checklist(ctx: RequestContext) -> Checklist:
    """The walkthrough's steps in order, each done or not from the account's state; three queries."""
    authorize(ctx, "iam:GetAccountSummary", "*")
    visible = _visibility(ctx)
    account = ctx.account
    here = OuterRef("pk")
    facts = (
        Account.objects.filter(pk=account.pk)
        .values(
            root_mfa=Exists(MFADevice.objects.filter(account=here, user__is_root=True)),
            root_keys=Exists(AccessKey.objects.filter(user__account=here, user__is_root=True)),
            has_password_policy=Exists(PasswordPolicy.objects.filter(account=here)),
        )
        .get()
    )
    job_names = {DEVELOPERS.lower(), SECURITY.lower()}
    groups = list(
        Group.objects.filter(account=account)
        .annotate(is_admin=_has_administrator_access(), lower_name=Lower("group_name"))
        .filter(Q(is_admin=True) | Q(lower_name__in=job_names))
        .order_by("group_name", "pk")
        .values_list("group_name", "is_admin")
    )
    admin_groups = [name for name, is_admin in groups if is_admin]
    in_admin_group = GroupMembership.objects.filter(
        user=OuterRef("pk"), group__policy_attachments__policy__arn=ADMINISTRATOR_ACCESS
    )
    admins = list(
        User.objects.filter(account=account, is_root=False)
        .filter(Exists(in_admin_group))
        .annotate(signed_in=_signed_in(account))
        .order_by("-signed_in", "user_name", "pk")  # who signed in first: the first row tells
        .values_list("user_name", "signed_in")[: MAX_NAMES + 1]
    )
    admin_names = [name for name, _ in admins]
    signed_in = [name for name, did in admins if did]
    job_groups = {name.lower() for name, _ in groups} & job_names
    missing = [name for name in (DEVELOPERS, SECURITY) if name.lower() not in job_groups]

    def step(key: str, done: bool, yes: str, no: str) -> Step:
        return Step(LESSON[key], done, yes if done else no)

    users, group_names = visible["users"], visible["groups"]
    return Checklist(
        (
            step(
                "root-mfa",
                facts["root_mfa"],
                "The root user has an MFA device.",
                "The root user has no MFA device yet.",
            ),
            step(
                "root-access-keys",
                not facts["root_keys"],
                "The root user has no access keys.",
                "The root user has access keys.",
            ),
            step(
                "password-policy",
                facts["has_password_policy"],
                "A password policy is set.",
                "No password policy is set yet.",
            ),
            step(
                "admins-group",
                bool(admin_groups),
                f"AdministratorAccess is attached to {_names(admin_groups, group_names, 'a group')}.",
                "No group has AdministratorAccess yet.",
            ),
            step(
                "admin-user",
                bool(admin_names),
                f"In a group with AdministratorAccess: {_names(admin_names, users, 'an IAM user')}.",
                "No IAM user is in a group with AdministratorAccess yet.",
            ),
            step(
                "admin-sign-in",
                bool(signed_in),
                f"Signed in as an administrator: {_names(signed_in, users, 'an IAM user')}.",
                "No administrator IAM user has signed in yet.",
            ),
            step(
                "job-function-groups",
                not missing,
                f"The {DEVELOPERS} and {SECURITY} groups exist.",
                f"Still to create: {' and '.join(missing)}.",
            ),
        )
    )


# Exercises ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """The fixed part of an exercise: the goal, hints, where to start."""

    key: str
    title: str
    goal: str
    hints: tuple[str, ...]
    url_name: str  # where to start
    help_topic: str


@dataclass(frozen=True)
class Exercise:
    """A task and its check, computed from the account's state."""

    task: Task
    done: bool
    status: str
    notes: tuple[str, ...] = ()  # what the check found wrong, to learn from


# The sample requests of the password exercise: two users of the account, each signed in with MFA.
SAMPLE_USER, OTHER_USER = "alice", "bob"

TASKS: tuple[Task, ...] = (
    Task(
        "new-developer",
        "A new developer joins",
        "A new developer joins the team. Give them their own IAM user with console access, in the "
        f"{DEVELOPERS} group, so that they get the group's permissions and nothing else.",
        (
            "Users → Create user: a name, console access with an autogenerated password that must be "
            f"changed at the first sign-in, then Add user to group → {DEVELOPERS}.",
            "A new IAM user can do nothing until a policy allows it: here, the group's policies.",
            "Each person gets their own user: never share credentials.",
        ),
        "console:user_create",
        "groups",
    ),
    Task(
        "developer-to-security",
        "A developer becomes a security engineer",
        f"A developer moves to the security team. Move their user from the {DEVELOPERS} group to the "
        f"{SECURITY} group: their permissions follow the groups.",
        (
            f"On the user's page: Groups → Add user to groups → {SECURITY}; then remove the user from "
            f"{DEVELOPERS}.",
            "Add the new group first, so the user is never left without the permissions the job needs.",
            f"Removing the user from {DEVELOPERS} takes away all of that group's policies at once.",
        ),
        "console:groups",
        "groups",
    ),
    Task(
        "own-password-policy",
        "Write a policy that lets users change only their own password",
        "Create a customer managed policy that lets each IAM user change their own password and no one "
        f"else's. The check asks the policy engine whether {SAMPLE_USER} may change her own password "
        f"(she must) and {OTHER_USER}'s (she must not), and whether {OTHER_USER} may change his own.",
        (
            "The action is iam:ChangePassword; its resource is the user's ARN, "
            "arn:aws:iam::<account id>:user/<user name>.",
            "The policy variable ${aws:username} is replaced by the caller's user name on each request.",
            'Always include "Version": "2012-10-17". Watch for a space in "iam: ChangePassword" and a '
            'missing comma between "Action": [...] and "Resource".',
        ),
        "console:policies",
        "policies",
    ),
)
TASK = {task.key: task for task in TASKS}


def exercises(ctx: RequestContext) -> tuple[Exercise, ...]:
    """The exercises in order, each checked from the account's state; three queries."""
    authorize(ctx, "iam:GetAccountSummary", "*")
    visible = _visibility(ctx)
    return (
        _new_developer(ctx, visible["users"]),
        _developer_to_security(ctx, visible["users"]),
        _own_password_policy(ctx, visible["policies"]),
    )


def _members_of(name: str) -> Exists:
    """Whether the outer user is in the group of this name (names are case-insensitive, as in IAM)."""
    return Exists(GroupMembership.objects.filter(user=OuterRef("pk"), group__group_name__iexact=name))


def _joined(name: str, account: Account) -> Exists:
    """Whether the outer user was ever added to the group of this name (AddUserToGroup succeeded)."""
    return Exists(
        AuditEvent.objects.filter(
            account=account,
            action="iam:AddUserToGroup",
            outcome=AuditEvent.SUCCESS,
            parameters__group_name__iexact=name,
            parameters__user_name__iexact=OuterRef("user_name"),
        )
    )


def _new_developer(ctx: RequestContext, visible: bool) -> Exercise:
    """Done when a user with console access is in Developers, or joined it and has moved on since
    (so that the next exercise, which moves a developer, does not undo this one)."""
    names = list(
        User.objects.filter(account=ctx.account, is_root=False)
        .filter(_members_of(DEVELOPERS) | _joined(DEVELOPERS, ctx.account))
        .filter(Exists(LoginProfile.objects.filter(user=OuterRef("pk"))))
        .order_by("user_name", "pk")
        .values_list("user_name", flat=True)[: MAX_NAMES + 1]
    )
    if names:
        status = f"Joined {DEVELOPERS} with console access: {_names(names, visible, 'an IAM user')}."
    else:
        status = f"No user with console access has joined {DEVELOPERS} yet."
    return Exercise(TASK["new-developer"], bool(names), status)


def _developer_to_security(ctx: RequestContext, visible: bool) -> Exercise:
    """Done when a user is now in Security and not in Developers, and the audit trail shows that it
    was removed from Developers (RemoveUserFromGroup succeeded, so it had been a member)."""
    left_developers = AuditEvent.objects.filter(
        account=ctx.account,
        action="iam:RemoveUserFromGroup",
        outcome=AuditEvent.SUCCESS,
        parameters__group_name__iexact=DEVELOPERS,
        parameters__user_name__iexact=OuterRef("user_name"),
    )
    names = list(
        User.objects.filter(account=ctx.account, is_root=False)
        .filter(_members_of(SECURITY), ~_members_of(DEVELOPERS), Exists(left_developers))
        .order_by("user_name", "pk")
        .values_list("user_name", flat=True)[: MAX_NAMES + 1]
    )
    if names:
        status = f"Moved from {DEVELOPERS} to {SECURITY}: {_names(names, visible, 'an IAM user')}."
    else:
        status = f"No user has moved from {DEVELOPERS} to {SECURITY} yet."
    return Exercise(TASK["developer-to-security"], bool(names), status)


def _sample_request(account_id: str, caller: str, target: str, ctx: RequestContext) -> Request:
    """iam:ChangePassword by `caller` on `target`'s user, with the keys a console request would send."""
    caller_arn = arns.user(account_id, "/", caller)
    context = {
        "aws:username": caller,
        "aws:userid": f"AIDAEXAMPLE{caller.upper()}",
        "aws:PrincipalArn": caller_arn,
        "aws:PrincipalAccount": account_id,
        "aws:PrincipalType": "User",
        "aws:SecureTransport": "true",
        "aws:MultiFactorAuthPresent": "true",
        "aws:MultiFactorAuthAge": "0",
        "aws:CurrentTime": ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(ctx.now.timestamp())),
    }
    return Request(caller_arn, "iam:ChangePassword", arns.user(account_id, "/", target), context)


def password_policy_findings(policy: Policy, account_id: str, ctx: RequestContext) -> list[str]:
    """What keeps a policy from letting each user change only their own password ([] if nothing):
    the engine decides three sample requests."""
    policies = PolicySet([policy])
    own = policies.evaluate(_sample_request(account_id, SAMPLE_USER, SAMPLE_USER, ctx)).allowed
    others = policies.evaluate(_sample_request(account_id, SAMPLE_USER, OTHER_USER, ctx)).allowed
    other_own = policies.evaluate(_sample_request(account_id, OTHER_USER, OTHER_USER, ctx)).allowed
    problems = []
    if not own:
        problems.append(f"{SAMPLE_USER} may not change her own password")
    elif not other_own:
        problems.append(f"{OTHER_USER} may not change his own password")
    if others:
        problems.append(f"{SAMPLE_USER} may change {OTHER_USER}'s password")
    return problems


def _own_password_policy(ctx: RequestContext, visible: bool) -> Exercise:
    """Every customer managed policy's default version is judged by the engine (one query); the
    policies that mention iam:ChangePassword and fail are named with what the engine found."""
    account_id = ctx.account.account_id
    passing: list[str] = []
    notes: list[str] = []
    documents = (
        PolicyVersion.objects.filter(policy__account=ctx.account, is_default=True)
        .order_by("policy__policy_name", "policy__pk")
        .values_list("policy__policy_name", "document")
    )
    for name, document in documents:
        mentions = "changepassword" in document.lower()
        if not mentions and "*" not in document:
            continue  # cannot grant iam:ChangePassword: no need to compile it
        try:
            policy = parse_policy(document, kind="identity", name=name)
        except PolicyError:
            continue  # stored documents were validated when written; a broken one grants nothing
        problems = password_policy_findings(policy, account_id, ctx)
        if not problems:
            passing.append(name)
        elif mentions and len(notes) < MAX_NAMES:
            notes.append(f"{name}: " + "; ".join(problems) + ".")
    if passing:
        status = f"Passes the check: {_names(passing, visible, 'a customer managed policy')}."
    else:
        status = "No customer managed policy passes the check yet."
    return Exercise(TASK["own-password-policy"], bool(passing), status, tuple(notes) if visible else ())
