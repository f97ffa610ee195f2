"""The access matrix (portal extension, docs/access-matrix.md): who may perform an action on a
resource, and what one principal may perform.

- who_can: every IAM user (not the root user) and role of the caller's account that an action (or an
  action pattern, iam:Delete*) is allowed to on a resource, with the statements that grant it and
  "via group X" for a group's policies; optionally the explicitly denied ones. Authorized as
  iam:GetAccountAuthorizationDetails on "*" (it reads every principal's policies).
- principal_actions: every catalogued action (iam, sts) one user or role may perform, grouped by
  service, with the granting statements and how far the grant goes (all resources, some, only under
  conditions). Authorized as iam:SimulatePrincipalPolicy on the principal's ARN.

Roles are judged on their identity policies and boundary (no session, so no session policies); the
trust policy says who may assume a role, not what it may do. Each principal's requests carry its own
aws:username, aws:userid (users), aws:PrincipalArn, aws:PrincipalType, aws:PrincipalAccount and
aws:PrincipalTag/*, plus the context the caller gives; nothing else (no MFA, time or source IP), as
AWS's policy simulator.

Speed (5,000 users answer in well under a second): the account's whole policy graph is read in a
constant number of queries, each distinct document is compiled once per process, principals are
grouped by their set of policies that can match the action (most share a small one, or none), and
each group is evaluated once (per principal only where a matching statement reads the context:
conditions or policy variables), then expanded to its principals. Nothing is written.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from iam_portal.errors import InvalidInputError, validation_error
from iam_portal.pagination import Page, paginate
from policies.engine import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    MatchedStatement,
    Policy,
    PolicySet,
    Request,
    parse_policy,
)
from policies.engine.catalog import ACTIONS, CATALOGUE, CATALOGUED_SERVICES, lookup_action, matching_actions
from policies.engine.document import Statement
from policies.engine.evaluate import ALWAYS_ALLOWED_ACTIONS, BOUNDARY, IDENTITY, normalize_context
from policies.engine.variables import Template, Variable
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from policies.selectors import entity_by_arn

from .. import arns
from ..authz import authorize, resource_tag_context
from ..context import RequestContext
from ..models import Account, Group, GroupMembership, Role, User

# Decisions, as the simulator words them.
ALLOWED_WORD, DENIED_WORD = "allowed", "explicitDeny"
USER, ROLE = "User", "Role"
# How far principal_actions' grant goes (docs/access-matrix.md).
ALL_RESOURCES, SOME_RESOURCES, CONDITIONAL, THIS_RESOURCE, DENIED = (
    "all-resources",
    "some-resources",
    "conditional",
    "this-resource",
    "denied",
)
ACTION_NAME_MIN, ACTION_NAME_MAX = 3, 128  # IAM's ActionNameType
ARN_MIN, ARN_MAX = 1, 2048  # IAM's ResourceNameType ("*" or an ARN)
CONTEXT_KEY_MIN, CONTEXT_KEY_MAX = 5, 256  # IAM's ContextKeyNameType
_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?_\-]+")
_CONTEXT_KEY = re.compile(r"[A-Za-z0-9.\-_]+:\S+")


# --- Answers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """A statement that decided: which policy, reached how (directly, via a group), which statement."""

    policy_name: str  # an inline policy's name or a managed policy's name
    policy_arn: str | None  # managed policies only
    source: str  # user | group | role (inline) | aws-managed | user-managed (as the simulator)
    via_group: str | None  # the group whose policy this is (its inline or attached policy)
    layer: str  # identity | boundary
    statement_index: int  # 0-based, in the document
    sid: str | None
    effect: str  # Allow | Deny


@dataclass(frozen=True)
class PrincipalAccess:
    """who_can's answer for one principal."""

    principal_arn: str
    principal_type: str  # User | Role
    principal_name: str
    decision: str  # allowed | explicitDeny
    actions: tuple[str, ...]  # the concrete actions the decision is about (one unless a pattern)
    grants: tuple[Grant, ...]  # the Allow statements (allowed) or the Deny statements (explicitDeny)
    missing_context_values: tuple[str, ...]


@dataclass(frozen=True)
class ActionAccess:
    """principal_actions' answer for one action."""

    action: str
    service: str
    access_level: str  # the catalogue's: List | Read | Write | Permissions management | Tagging
    access: str  # all-resources | some-resources | conditional | this-resource | denied
    grants: tuple[Grant, ...]
    missing_context_values: tuple[str, ...]


@dataclass(frozen=True)
class PrincipalActions:
    """principal_actions' answer: the principal and its actions, a page of them."""

    principal_arn: str
    principal_type: str
    principal_name: str
    resource_arn: str
    page: Page[ActionAccess]

    @property
    def by_service(self) -> list[tuple[str, list[ActionAccess]]]:
        """The page's actions grouped by service, in catalogue order."""
        groups: dict[str, list[ActionAccess]] = {}
        for item in self.page.items:
            groups.setdefault(item.service, []).append(item)
        return list(groups.items())


# --- The policy graph ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where a compiled policy comes from; `owner` is the user, group or role of an inline policy."""

    policy_name: str
    policy_arn: str | None
    source: str
    owner_group: int | None = None  # a group's inline policy: the group's pk


@dataclass
class _Principal:
    pk: int
    kind: str  # User | Role
    name: str
    arn: str
    user_id: str
    tags_json: str | dict | None  # as stored; read only for a principal whose tags a statement reads
    boundary: str | None  # the boundary policy's key
    keys: frozenset[str] = frozenset()  # every identity policy's key
    groups: tuple[int, ...] = ()
    direct: frozenset[str] = frozenset()  # managed policies attached to the principal itself

    @cached_property
    def tags(self) -> dict[str, str]:
        if isinstance(self.tags_json, str):
            return json.loads(self.tags_json) or {}
        return self.tags_json or {}


@dataclass
class _Graph:
    """An account's principals and the compiled policies they reach, by key ("m12": the managed policy
    12 at its default version; "u3", "g4", "r5": user, group and role inline policies)."""

    account_id: str
    principals: list[_Principal] = field(default_factory=list)
    policies: dict[str, Policy] = field(default_factory=dict)
    sources: dict[str, _Source] = field(default_factory=dict)
    group_names: dict[int, str] = field(default_factory=dict)
    group_keys: dict[int, frozenset[str]] = field(default_factory=dict)


@lru_cache(maxsize=8192)
def _parsed(document: str) -> Policy:
    """Stored documents were validated when written and never change: compiled once per process."""
    return parse_policy(document, kind="identity")


@lru_cache(maxsize=32768)
def _named(document: str, key: str) -> Policy:
    """The compiled document under its key (statements shared with every other copy)."""
    return replace(_parsed(document), name=key)


# Tags as their JSON text: decoding 5,000 users' tags costs more than the rest of their row, and
# only principals whose policies test aws:PrincipalTag/* need them.
_TAGS_TEXT = Cast("tags", output_field=TextField())


def _load_graph(account: Account, *, user_pk: int | None = None, role_pk: int | None = None) -> _Graph:
    """The account's users and roles (or one of them) with their policies: eleven queries at most,
    whatever the number of principals."""
    graph = _Graph(account.account_id)
    acct = account.account_id
    want_users, want_roles = role_pk is None, user_pk is None
    users = User.objects.filter(account=account, is_root=False)
    roles = Role.objects.filter(account=account)
    if user_pk is not None:
        users = users.filter(pk=user_pk)
    if role_pk is not None:
        roles = roles.filter(pk=role_pk)
    user_rows = (
        list(users.values_list("pk", "user_name", "path", "user_id", _TAGS_TEXT, "permissions_boundary_id"))
        if want_users
        else []
    )
    role_rows = (
        list(roles.values_list("pk", "role_name", "path", "role_id", _TAGS_TEXT, "permissions_boundary_id"))
        if want_roles
        else []
    )
    memberships: dict[int, list[int]] = defaultdict(list)
    user_direct: dict[int, set[str]] = defaultdict(set)
    user_inline: dict[int, set[str]] = defaultdict(set)
    role_keys: dict[int, set[str]] = defaultdict(set)
    group_keys: dict[int, set[str]] = defaultdict(set)
    documents: dict[str, str] = {}
    managed_ids = Q(pk__in=[])

    if want_users:
        member_rows = GroupMembership.objects.filter(user__in=users.values("pk")).values_list(
            "user_id", "group_id"
        )
        for user_id, group_id in member_rows:
            memberships[user_id].append(group_id)
        groups = Group.objects.filter(account=account)
        if user_pk is not None:
            groups = groups.filter(memberships__user_id=user_pk)
        graph.group_names = dict(groups.values_list("pk", "group_name"))
        for group_id, policy_id in GroupPolicyAttachment.objects.filter(
            group__in=groups.values("pk")
        ).values_list("group_id", "policy_id"):
            group_keys[group_id].add(f"m{policy_id}")
        for pk, group_id, name, document in GroupPolicy.objects.filter(
            group__in=groups.values("pk")
        ).values_list("pk", "group_id", "policy_name", "document"):
            key = f"g{pk}"
            group_keys[group_id].add(key)
            documents[key] = document
            graph.sources[key] = _Source(name, None, "group", group_id)
        attached = UserPolicyAttachment.objects.filter(user__in=users.values("pk"))
        for owner, policy_id in attached.values_list("user_id", "policy_id"):
            user_direct[owner].add(f"m{policy_id}")
        for pk, owner, name, document in UserPolicy.objects.filter(user__in=users.values("pk")).values_list(
            "pk", "user_id", "policy_name", "document"
        ):
            key = f"u{pk}"
            user_inline[owner].add(key)
            documents[key] = document
            graph.sources[key] = _Source(name, None, "user")
        managed_ids |= Q(policy_id__in=attached.values("policy_id"))
        managed_ids |= Q(
            policy_id__in=GroupPolicyAttachment.objects.filter(group__in=groups.values("pk")).values(
                "policy_id"
            )
        )
        managed_ids |= Q(
            policy_id__in=users.filter(permissions_boundary__isnull=False).values("permissions_boundary_id")
        )
    if want_roles:
        attached_to_roles = RolePolicyAttachment.objects.filter(role__in=roles.values("pk"))
        for owner, policy_id in attached_to_roles.values_list("role_id", "policy_id"):
            role_keys[owner].add(f"m{policy_id}")
        for pk, owner, name, document in RolePolicy.objects.filter(role__in=roles.values("pk")).values_list(
            "pk", "role_id", "policy_name", "document"
        ):
            key = f"r{pk}"
            role_keys[owner].add(key)
            documents[key] = document
            graph.sources[key] = _Source(name, None, "role")
        managed_ids |= Q(policy_id__in=attached_to_roles.values("policy_id"))
        managed_ids |= Q(
            policy_id__in=roles.filter(permissions_boundary__isnull=False).values("permissions_boundary_id")
        )
    versions = PolicyVersion.objects.filter(managed_ids, is_default=True).values_list(
        "policy_id", "policy__arn", "policy__policy_name", "policy__account_id", "document"
    )
    for policy_id, arn, name, owner_account, document in versions:
        key = f"m{policy_id}"
        documents[key] = document
        graph.sources[key] = _Source(name, arn, "aws-managed" if owner_account is None else "user-managed")
    graph.policies = {key: _named(document, key) for key, document in documents.items()}

    graph.group_keys = {pk: frozenset(keys) for pk, keys in group_keys.items()}
    empty: frozenset[str] = frozenset()
    for pk, name, path, user_id, tags, boundary_id in user_rows:
        groups_of = tuple(memberships.get(pk, ()))
        direct = frozenset(user_direct.get(pk, ()))
        keys = set(direct) | user_inline.get(pk, set())
        for group_id in groups_of:
            keys |= graph.group_keys.get(group_id, empty)
        graph.principals.append(
            _Principal(
                pk=pk,
                kind=USER,
                name=name,
                arn=arns.user(acct, path, name),
                user_id=user_id,
                tags_json=tags,
                boundary=None if boundary_id is None else f"m{boundary_id}",
                keys=frozenset(keys),
                groups=groups_of,
                direct=direct,
            )
        )
    for pk, name, path, role_id, tags, boundary_id in role_rows:
        keys = frozenset(role_keys.get(pk, ()))
        graph.principals.append(
            _Principal(
                pk=pk,
                kind=ROLE,
                name=name,
                arn=arns.role(acct, path, name),
                user_id=role_id,
                tags_json=tags,
                boundary=None if boundary_id is None else f"m{boundary_id}",
                keys=keys,
                direct=frozenset(k for k in keys if k.startswith("m")),
            )
        )
    return graph


# --- Evaluation ----------------------------------------------------------------------------------------


def _matching(statement: Statement, action_lc: str) -> bool:
    return statement.matches_action(action_lc) != statement.not_action


# The condition keys whose values differ from one principal to another (the account's is shared).
_PRINCIPAL_KEYS = frozenset({"aws:username", "aws:userid", "aws:principalarn", "aws:principaltype"})


def _principal_key(key_lc: str) -> bool:
    return key_lc in _PRINCIPAL_KEYS or key_lc.startswith("aws:principaltag/")


def _template_reads_principal(template: Template | None) -> bool:
    return template is not None and any(
        isinstance(part, Variable) and _principal_key(part.key_lc) for part in template
    )


def _reads_principal(statement: Statement) -> bool:
    """Whether the statement's outcome may differ between two principals of one account: a condition
    on a principal key, or a policy variable naming one (in a resource or a condition value). Other
    conditions read only the context the caller gives, the same for every principal."""
    if any(_template_reads_principal(r.template) for r in statement.resources or ()):
        return True
    for clause in statement.clauses:
        if _principal_key(clause.key_lc):
            return True
        if any(_template_reads_principal(t) for t in clause.templates or ()):
            return True
    return False


class _Relevance:
    """Per action, which policies have a statement that can match it, and whether one reads a
    principal's own keys; computed once per policy and action."""

    def __init__(self, graph: _Graph):
        self.graph = graph
        self._cache: dict[tuple[str, str], tuple[bool, bool, bool]] = {}

    def of(self, key: str, action_lc: str) -> tuple[bool, bool, bool]:
        """(matches, has a matching Deny, a matching statement reads the principal's keys)."""
        found = self._cache.get((key, action_lc))
        if found is None:
            statements = [s for s in self.graph.policies[key].statements if _matching(s, action_lc)]
            found = (
                bool(statements),
                any(s.effect == "Deny" for s in statements),
                any(_reads_principal(s) for s in statements),
            )
            self._cache[(key, action_lc)] = found
        return found


def principal_context(
    account_id: str, principal: _Principal, given: Mapping[str, object] | None
) -> dict[str, object]:
    """The condition keys of the principal's own request (as accounts/authz.py builds them), over the
    context the caller gives."""
    keys: dict[str, object] = dict(given or {})
    keys["aws:PrincipalAccount"] = account_id
    keys["aws:PrincipalArn"] = principal.arn
    if principal.kind == USER:
        keys["aws:PrincipalType"] = "User"
        keys["aws:userid"] = principal.user_id
        keys["aws:username"] = principal.name
    else:
        # A role's requests come from its sessions; aws:userid names the session, which is not known.
        keys["aws:PrincipalType"] = "AssumedRole"
    keys.update({f"aws:PrincipalTag/{k}": v for k, v in principal.tags.items()})
    return keys


def _evaluate_groups(
    graph: _Graph,
    relevance: _Relevance,
    by_set: Mapping[tuple[frozenset[str], str | None], list[int]],
    action: str,
    resource: str,
    context: Mapping[str, object] | None,
) -> dict[int, tuple[_Principal, Decision]]:
    """{index in graph.principals: decision} for the principals an Allow or a Deny can reach; the
    others are implicitly denied. The groups of principals with the same policies (`by_set`) are
    merged by the policies that can match the action (and their boundary); each is evaluated once,
    or once per member where a matching statement reads the principal's own keys."""
    action_lc = action.lower()
    always = action_lc in ALWAYS_ALLOWED_ACTIONS
    # Most principals' policies share few statements about one action: regroup by those alone.
    matching = frozenset(k for k in graph.policies if relevance.of(k, action_lc)[0])
    by_relevant: dict[tuple[frozenset[str], str | None], list[int]] = defaultdict(list)
    for (keys, boundary), members in by_set.items():
        by_relevant[(keys & matching, boundary)].extend(members)
    out: dict[int, tuple[_Principal, Decision]] = {}
    for (relevant_set, boundary), members in by_relevant.items():
        relevant = tuple(sorted(relevant_set))
        boundary_deny = boundary is not None and relevance.of(boundary, action_lc)[1]
        if not relevant and not boundary_deny and not always:
            continue  # nothing can allow or deny it: implicitly denied, not listed
        per_principal = any(relevance.of(k, action_lc)[2] for k in relevant) or (
            boundary is not None and relevance.of(boundary, action_lc)[2]
        )
        shared: Decision | None = None
        policy_set = PolicySet(
            [graph.policies[k] for k in relevant],
            None if boundary is None else [graph.policies[boundary]],
        )
        for index in members:
            principal = graph.principals[index]
            if shared is None or per_principal:
                request = Request(
                    principal.arn, action, resource, principal_context(graph.account_id, principal, context)
                )
                decision = policy_set.evaluate(request)
                if not per_principal:
                    shared = decision
            else:
                decision = shared
            out[index] = (principal, decision)
    return out


def _grants(graph: _Graph, principal: _Principal, decision: Decision, effect: str) -> list[Grant]:
    """The decision's statements of one effect, each by every way the principal reaches its policy."""
    grants = []
    for m in decision.matched:
        if m.effect != effect:
            continue
        source = graph.sources[m.policy]
        if m.policy_type == BOUNDARY:
            origins: list[int | None] = [None]
        elif source.owner_group is not None:
            origins = [source.owner_group]
        else:
            origins = [None] if m.policy in principal.direct or not m.policy.startswith("m") else []
            origins += [g for g in principal.groups if m.policy in graph.group_keys.get(g, ())]
        for group in origins:
            grants.append(
                Grant(
                    policy_name=source.policy_name,
                    policy_arn=source.policy_arn,
                    source=source.source,
                    via_group=None if group is None else graph.group_names[group],
                    layer=m.policy_type,
                    statement_index=m.index,
                    sid=m.sid,
                    effect=m.effect,
                )
            )
    return grants


def _unique(items: Iterable) -> tuple:
    return tuple(dict.fromkeys(items))


# --- Input checks --------------------------------------------------------------------------------------


def expand_action(action: object) -> tuple[str, ...]:
    """The concrete actions an action name or pattern stands for: a pattern expands over the
    catalogue (iam, sts); a concrete action of another service is taken as it is."""
    if not isinstance(action, str) or not action:
        raise validation_error(action, "actionName", "not be null")
    if not ACTION_NAME_MIN <= len(action) <= ACTION_NAME_MAX:
        raise validation_error(
            action, "actionName", f"have length between {ACTION_NAME_MIN} and {ACTION_NAME_MAX}"
        )
    if action == "*":
        return CATALOGUE
    if not _ACTION.fullmatch(action):
        raise InvalidInputError(
            f"Action {action} is not valid: use service:ActionName, with * and ? as wildcards."
        )
    service = action.split(":", 1)[0].lower()
    if "*" in action or "?" in action:
        found = matching_actions(action)
        if not found:
            raise InvalidInputError(
                f"Action pattern {action} matches no action of the catalogue "
                f"({', '.join(sorted(CATALOGUED_SERVICES))})."
            )
        return found
    known = lookup_action(action)
    if known is not None:
        return (known[0],)
    if service in CATALOGUED_SERVICES:
        raise InvalidInputError(f"Action {action} is not an action of {service}.")
    return (action,)


def check_resource(resource: object, member: str = "resourceArn") -> str:
    """ "*" or an ARN (six colon-separated parts)."""
    if not isinstance(resource, str) or not resource:
        raise validation_error(resource, member, "not be null")
    if not ARN_MIN <= len(resource) <= ARN_MAX:
        raise validation_error(resource, member, f"have length between {ARN_MIN} and {ARN_MAX}")
    if resource != "*" and (not resource.startswith("arn:") or len(resource.split(":", 5)) != 6):
        raise InvalidInputError(f"ARN {resource} is not valid.")
    return resource


def check_context(context: object) -> dict[str, object]:
    """Condition keys the requests carry: {key: a string or a list of strings}."""
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise validation_error(context, "contextEntries", "be a map of context keys to values")
    out: dict[str, object] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not CONTEXT_KEY_MIN <= len(key) <= CONTEXT_KEY_MAX:
            raise validation_error(
                key, "contextKeyName", f"have length between {CONTEXT_KEY_MIN} and {CONTEXT_KEY_MAX}"
            )
        if not _CONTEXT_KEY.fullmatch(key):
            raise InvalidInputError(f"Context key {key} is not valid: use prefix:Name, e.g. aws:SourceIp.")
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) for v in values):
            raise InvalidInputError(f"The values of context key {key} must be strings.")
        out[key] = list(value) if isinstance(value, list | tuple) else value
    return out


# --- The selectors -------------------------------------------------------------------------------------


def who_can(
    ctx: RequestContext,
    *,
    action_name: str,
    resource_arn: str = "*",
    context: Mapping[str, object] | None = None,
    include_denied: bool = False,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[PrincipalAccess]:
    """Every user and role of the account allowed the action (or, for a pattern, at least one action it
    matches) on the resource; with include_denied also those an explicit Deny refuses. Users first,
    then roles, each by name. Authorized as iam:GetAccountAuthorizationDetails on "*"."""
    actions = expand_action(action_name)
    resource = check_resource(resource_arn)
    given = check_context(context)
    authorize(ctx, "iam:GetAccountAuthorizationDetails", "*")
    graph = _load_graph(ctx.account)
    relevance = _Relevance(graph)
    indexed = list(enumerate(graph.principals))
    # Principals with the same policies and boundary, found once for every action of a pattern.
    by_set: dict[tuple[frozenset[str], str | None], list[int]] = defaultdict(list)
    for index, principal in indexed:
        by_set[(principal.keys, principal.boundary)].append(index)
    allowed: dict[int, list[tuple[str, Decision]]] = defaultdict(list)
    denied: dict[int, list[tuple[str, Decision]]] = defaultdict(list)
    for action in actions:
        for index, (_, decision) in _evaluate_groups(
            graph, relevance, by_set, action, resource, given
        ).items():
            if decision.decision == ALLOWED:
                allowed[index].append((action, decision))
            elif decision.decision == EXPLICIT_DENY:
                denied[index].append((action, decision))
    rows = []
    for index, principal in indexed:
        if index in allowed:
            found, word, effect = allowed[index], ALLOWED_WORD, "Allow"
        elif include_denied and index in denied:
            found, word, effect = denied[index], DENIED_WORD, "Deny"
        else:
            continue
        rows.append(
            PrincipalAccess(
                principal_arn=principal.arn,
                principal_type=principal.kind,
                principal_name=principal.name,
                decision=word,
                actions=tuple(a for a, _ in found),
                grants=_unique(g for _, d in found for g in _grants(graph, principal, d, effect)),
                missing_context_values=_unique(k for _, d in found for k in d.missing_context_keys),
            )
        )
    rows.sort(key=lambda r: (r.principal_type != USER, r.principal_name.lower(), r.principal_arn))
    return paginate(rows, marker, max_items)


def principal_actions(
    ctx: RequestContext,
    *,
    principal_arn: str,
    resource_arn: str = "*",
    context: Mapping[str, object] | None = None,
    include_denied: bool = False,
    marker: str | None = None,
    max_items: int | None = None,
) -> PrincipalActions:
    """Every catalogued action the user or role may perform, by service then name, each with how far
    the grant goes (docs/access-matrix.md) and its statements. Authorized as
    iam:SimulatePrincipalPolicy on the principal."""
    resource = check_resource(resource_arn)
    given = check_context(context)
    entity, kind = _principal(ctx, principal_arn)
    authorize(ctx, "iam:SimulatePrincipalPolicy", entity.arn, resource_tag_context(entity.tags or {}))
    graph = _load_graph(ctx.account, **{"user_pk" if kind == USER else "role_pk": entity.pk})
    (principal,) = graph.principals
    policies = [graph.policies[k] for k in sorted(principal.keys)]
    boundary = None if principal.boundary is None else graph.policies[principal.boundary]
    policy_set = PolicySet(policies, None if boundary is None else [boundary])
    request_context = principal_context(graph.account_id, principal, given)
    normalized = normalize_context(request_context)
    rows = []
    for action in CATALOGUE:
        decision = policy_set.evaluate(Request(principal.arn, action, resource, request_context))
        access = _access(decision, action, resource, policies, boundary, normalized)
        if access is None or (access == DENIED and not include_denied):
            continue
        if access in (CONDITIONAL, SOME_RESOURCES) and not decision.allowed:
            # Not allowed here: the grants are the Allow statements that could allow it elsewhere.
            grants = _possible_grants(graph, principal, policies, boundary, action.lower())
        else:
            grants = _grants(graph, principal, decision, "Deny" if access == DENIED else "Allow")
        service, name = action.split(":", 1)
        rows.append(
            ActionAccess(
                action=action,
                service=service,
                access_level=ACTIONS[service][name],
                access=access,
                grants=_unique(grants),
                missing_context_values=decision.missing_context_keys,
            )
        )
    return PrincipalActions(
        principal_arn=principal.arn,
        principal_type=principal.kind,
        principal_name=principal.name,
        resource_arn=resource,
        page=paginate(rows, marker, max_items),
    )


def _access(
    decision: Decision,
    action: str,
    resource: str,
    policies: list[Policy],
    boundary: Policy | None,
    context: dict,
) -> str | None:
    """How far a grant goes (None: not at all). On "*": all-resources when an Allow on "*" applies,
    inside the boundary's Allow on "*", and no Deny names the action; some-resources when it is
    allowed on "*" but a Deny may apply somewhere, or when Allows (inside the boundary) apply to
    some resources only; conditional when only Allows whose conditions do not hold would grant it.
    On one ARN: this-resource when allowed there."""
    if decision.decision == EXPLICIT_DENY:
        return DENIED
    action_lc = action.lower()
    layers = [policies] + ([[boundary]] if boundary is not None else [])
    if decision.allowed:
        if resource != "*" or action_lc in ALWAYS_ALLOWED_ACTIONS:
            return THIS_RESOURCE if resource != "*" else ALL_RESOURCES
        any_deny = any(
            st.effect == "Deny" and _matching(st, action_lc)
            for layer in layers
            for policy in layer
            for st in policy.statements
        )
        everywhere = all(
            any(
                st.effect == "Allow"
                and _matching(st, action_lc)
                and not st.not_resource
                and any(r.text == "*" for r in st.resources or ())
                and (not st.clauses or st.conditions_hold(context))
                for policy in layer
                for st in policy.statements
            )
            for layer in layers
        )
        return ALL_RESOURCES if everywhere and not any_deny else SOME_RESOURCES
    if resource != "*":
        return None

    def allows(layer: list[Policy], conditions: bool) -> bool:
        return any(
            st.effect == "Allow"
            and _matching(st, action_lc)
            and (not conditions or not st.clauses or st.conditions_hold(context))
            for policy in layer
            for st in policy.statements
        )

    if all(allows(layer, True) for layer in layers):
        return SOME_RESOURCES
    if all(allows(layer, False) for layer in layers):
        return CONDITIONAL
    return None


def _possible_grants(
    graph: _Graph, principal: _Principal, policies: list[Policy], boundary: Policy | None, action_lc: str
) -> list[Grant]:
    """The Allow statements naming the action (identity and boundary), as grants of the principal."""
    matched = tuple(
        MatchedStatement(policy.name, layer, st.sid, st.index, st.effect)
        for layer, layer_policies in ((IDENTITY, policies), (BOUNDARY, [boundary] if boundary else []))
        for policy in layer_policies
        for st in policy.statements
        if st.effect == "Allow" and _matching(st, action_lc)
    )
    return _grants(graph, principal, Decision(IMPLICIT_DENY, IDENTITY, matched, ()), "Allow")


def _principal(ctx: RequestContext, arn: object) -> tuple[User | Role, str]:
    """The user or role the ARN names in the caller's account (NoSuchEntity otherwise: another
    account's principals cannot be seen)."""
    if not isinstance(arn, str) or not arn:
        raise validation_error(arn, "principalArn", "not be null")
    if not 20 <= len(arn) <= ARN_MAX:
        raise validation_error(arn, "principalArn", f"have length between 20 and {ARN_MAX}")
    found = entity_by_arn(ctx.account, arn, kinds=("user", "role"))
    if found is None:
        raise InvalidInputError(f"ARN {arn} is not a valid user or role ARN.")
    entity, kind = found
    return entity, USER if kind == "user" else ROLE  # type: ignore[return-value]
