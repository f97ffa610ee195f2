"""The decision: explicit deny > allow > implicit deny, across identity, boundary and resource policies.

Rules (IAM User Guide, policy evaluation logic; permissions boundaries; cross-account evaluation):
- An explicit Deny in any policy that applies wins.
- Same account: an Allow from the identity policies (inside every permissions boundary, when there
  is one) or from the resource policy is enough. A resource policy that names the account (its id
  or `:root`) only delegates to the account, so the identity policies must allow too. A grant to an
  IAM user ARN or a role session ARN is not limited by the boundary; a grant to a role ARN is.
- Role trust policies and KMS key policies are the exception to "either is enough": they must
  allow the caller (naming it, or naming its account, in which case the identity policies must
  allow too). Without a key policy nobody may use a KMS key; without a trust policy an AssumeRole
  request is judged on the identity policies alone, as AWS's policy simulator does.
- Session policies (AssumeRole's Policy and PolicyArns) limit a role session like a boundary: the
  identity policies and a session policy must both allow, and a resource policy's grant to the role
  ARN is limited by them too; a grant to the session ARN is not. A Deny in one wins as anywhere.
- sts:GetCallerIdentity needs no permission and works even against an explicit deny.
- Cross account: the identity policies (and boundary) and the resource policy must both allow.
- Otherwise the request is implicitly denied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .document import Policy, Statement
from .matching import arn_account
from .variables import Context

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
IDENTITY, BOUNDARY, SESSION, RESOURCE = "identity", "boundary", "session", "resource"
SERVICE = "service"  # the service allows the action whatever the policies say
# "No permissions are required to perform this operation", even against an explicit deny (STS API).
ALWAYS_ALLOWED_ACTIONS = frozenset({"sts:getcalleridentity"})
_LAYER_WORDS = {
    IDENTITY: "an identity-based policy",
    BOUNDARY: "a permissions boundary",
    SESSION: "a session policy",
    RESOURCE: "a resource-based policy",
}
_CACHE_LIMIT = 4096
TRUST_ACTION_PREFIX = "sts:assumerole"  # AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity


@dataclass(frozen=True)
class Request:
    principal: str  # ARN of the caller (user, role session, …) or a service principal
    action: str  # e.g. "iam:ChangePassword"
    resource: str  # ARN or "*"
    context: Mapping[str, object]  # context keys (any case) -> string or list of strings
    resource_account: str | None = None  # owner of the resource when its ARN has no account


@dataclass(frozen=True)
class MatchedStatement:
    policy: str
    policy_type: str  # identity | boundary | session | resource
    sid: str | None
    index: int
    effect: str

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "policyType": self.policy_type,
            "sid": self.sid,
            "statementIndex": self.index,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class Decision:
    decision: str  # Allowed | ExplicitlyDenied | ImplicitlyDenied
    decided_by: str  # the layer that decided: identity | boundary | session | resource (| service)
    matched: tuple[MatchedStatement, ...]
    missing_context_keys: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def reason(self, action: str) -> str:
        """AWS's wording for why a request was denied (the tail of an AccessDenied message)."""
        if self.decision == EXPLICIT_DENY:
            return f"with an explicit deny in {_LAYER_WORDS[self.decided_by]}"
        if self.decision == IMPLICIT_DENY:
            word = _LAYER_WORDS[self.decided_by].split(" ", 1)[1]
            return f"because no {word} allows the {action} action"
        return ""


Candidate = tuple[Statement, MatchedStatement]


def normalize_context(context: Mapping[str, object]) -> Context:
    """Lower-case the keys; read JSON booleans and numbers as their string form; drop nulls."""
    out: Context = {}
    for key, value in context.items():
        if value.__class__ is str:
            out[key.lower()] = value  # the common case, first
        elif value is None:
            continue
        elif isinstance(value, list | tuple):
            out[key.lower()] = [_text(v) for v in value if v is not None]
        else:
            out[key.lower()] = _text(value)
    return out


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise ValueError(f"context values must be strings or lists of strings, not {type(value).__name__}")


def principal_grant(st: Statement, principal: str) -> str | None:
    """How a resource-policy statement names the caller: direct, role, account, or not at all."""
    p = st.principals
    if p is None:
        return None
    kind = None
    if p.everyone or principal in p.arns or principal in p.others:
        kind = "direct"
    else:
        parts = principal.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn":
            account = parts[4]
            if parts[2] == "sts" and parts[5].startswith("assumed-role/"):
                role = parts[5].split("/")[1]
                if (account, role) in p.roles:
                    kind = "role"
            if kind is None and account in p.accounts:
                kind = "account"
    if st.not_principal:
        return "direct" if kind is None else None
    return kind


@dataclass(frozen=True)
class _Plan:
    """The statements that can match one action, by layer and effect, each with its explanation."""

    denies: tuple[tuple[str, tuple[Candidate, ...]], ...]  # (layer, candidates), identity first
    identity_allows: tuple[Candidate, ...]
    boundary_allows: tuple[tuple[Candidate, ...], ...]  # one entry per boundary
    session_allows: tuple[Candidate, ...]
    resource_allows: tuple[Candidate, ...]


def _applied(
    candidates: tuple[Candidate, ...],
    request: Request,
    context: Context,
    missing: dict[str, None],
    resource_layer: bool,
) -> list[tuple[MatchedStatement, str | None]]:
    """The candidates that apply to the request, with how a resource policy names the caller."""
    hits = []
    for st, matched in candidates:
        grant = None
        if resource_layer:
            grant = principal_grant(st, request.principal)
            if grant is None:
                continue
        if not st.applies_to(request.resource, context):
            continue
        if st.clauses:
            for key, key_lc in st.condition_keys:
                if key_lc not in context:
                    missing[key] = None
            if not st.conditions_hold(context):
                continue
        hits.append((matched, grant))
    return hits


class PolicySet:
    """The compiled policies that apply to one principal (and optionally one resource policy).

    `session_policies`: None when the principal is not a session with session policies; otherwise
    the session's policies (together one layer: any of them may allow).

    Compile once, evaluate many requests: statements are sorted by action and effect once per
    distinct action, so a request only looks at statements that can match it.
    """

    def __init__(
        self,
        identity_policies: Sequence[Policy],
        permission_boundaries: Sequence[Policy] | None = None,
        resource_policy: Policy | None = None,
        session_policies: Sequence[Policy] | None = None,
    ):
        self.identity_policies = tuple(identity_policies)
        self.permission_boundaries = None if permission_boundaries is None else tuple(permission_boundaries)
        self.resource_policy = resource_policy
        self.session_policies = None if session_policies is None else tuple(session_policies)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, action_lc: str) -> _Plan:
        plan = self._plans.get(action_lc)
        if plan is None:

            def pick(policies: Sequence[Policy], layer: str, effect: str) -> tuple[Candidate, ...]:
                return tuple(
                    (st, MatchedStatement(pol.name, layer, st.sid, st.index, st.effect))
                    for pol in policies
                    for st in pol.statements
                    if st.effect == effect and st.matches_action(action_lc) != st.not_action
                )

            boundaries = self.permission_boundaries or ()
            sessions = self.session_policies or ()
            resource = [self.resource_policy] if self.resource_policy else []
            plan = _Plan(
                denies=(
                    (IDENTITY, pick(self.identity_policies, IDENTITY, "Deny")),
                    *((BOUNDARY, pick([b], BOUNDARY, "Deny")) for b in boundaries),
                    (SESSION, pick(sessions, SESSION, "Deny")),
                    (RESOURCE, pick(resource, RESOURCE, "Deny")),
                ),
                identity_allows=pick(self.identity_policies, IDENTITY, "Allow"),
                boundary_allows=tuple(pick([b], BOUNDARY, "Allow") for b in boundaries),
                session_allows=pick(sessions, SESSION, "Allow"),
                resource_allows=pick(resource, RESOURCE, "Allow"),
            )
            if len(self._plans) >= _CACHE_LIMIT:
                self._plans.clear()
            self._plans[action_lc] = plan
        return plan

    def _resource_policy_must_allow(self, action_lc: str, resource: str) -> bool:
        """Role trust policies and KMS key policies must allow the caller even in the same account:
        identity policies alone grant nothing there (IAM User Guide, policy evaluation logic).

        A KMS key always has a key policy, so none given means none allows. Without a trust policy
        an AssumeRole request is judged on the identity policies, as AWS's policy simulator does.
        """
        if self.resource_policy is not None and (
            self.resource_policy.kind == "trust" or action_lc.startswith(TRUST_ACTION_PREFIX)
        ):
            return True
        parts = resource.split(":", 5)
        return (
            action_lc.startswith("kms:")
            and len(parts) == 6
            and parts[2] == "kms"
            and (parts[5].startswith("key/"))
        )

    def evaluate(self, request: Request) -> Decision:
        action_lc = request.action.lower()
        if action_lc in ALWAYS_ALLOWED_ACTIONS:
            return Decision(ALLOWED, SERVICE, (), ())
        context = normalize_context(request.context)
        plan = self._plan(action_lc)
        missing: dict[str, None] = {}

        # Denies first: one that applies decides, and the allows need not be looked at.
        denied = [
            (layer, hits)
            for layer, candidates in plan.denies
            if (hits := _applied(candidates, request, context, missing, layer == RESOURCE))
        ]
        if denied:
            matched = tuple(m for _, hits in denied for m, _ in hits)
            return Decision(EXPLICIT_DENY, denied[0][0], matched, _unique_case_insensitive(missing))

        id_allows = _applied(plan.identity_allows, request, context, missing, False)
        boundary_results = [_applied(b, request, context, missing, False) for b in plan.boundary_allows]
        session_allows = _applied(plan.session_allows, request, context, missing, False)
        res_allows = _applied(plan.resource_allows, request, context, missing, True)
        missing_keys = _unique_case_insensitive(missing)

        # Boundaries and session policies only ever limit: each layer present must allow.
        boundary_allows = [a for allows in boundary_results for a in allows] + session_allows
        in_boundaries = all(boundary_results)
        in_session = self.session_policies is None or bool(session_allows)
        boundary_ok = in_boundaries and in_session
        identity_ok = bool(id_allows) and boundary_ok
        grants = {grant for _, grant in res_allows}
        principal_account = arn_account(request.principal)
        resource_account = arn_account(request.resource) or request.resource_account or principal_account
        # A service principal belongs to no account: the resource policy alone decides for it.
        same_account = principal_account is None or resource_account == principal_account

        def decided(decision: str, layer: str, used: list) -> Decision:
            return Decision(decision, layer, tuple(m for m, _ in used), missing_keys)

        if same_account:
            if "direct" in grants or ("role" in grants and boundary_ok):
                return decided(ALLOWED, RESOURCE, res_allows + id_allows + boundary_allows)
            if identity_ok and (
                "account" in grants or not self._resource_policy_must_allow(action_lc, request.resource)
            ):
                return decided(ALLOWED, IDENTITY, id_allows + boundary_allows + res_allows)
        elif identity_ok and grants:
            return decided(ALLOWED, RESOURCE, id_allows + boundary_allows + res_allows)

        if id_allows or grants:
            layer = (
                BOUNDARY
                if not in_boundaries
                else SESSION
                if not in_session
                else IDENTITY
                if not id_allows
                else RESOURCE
            )
        else:
            layer = RESOURCE if self.resource_policy and not self.identity_policies else IDENTITY
        return decided(IMPLICIT_DENY, layer, id_allows + boundary_allows + res_allows)


def _unique_case_insensitive(keys: dict[str, None]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for key in keys:
        seen.setdefault(key.lower(), key)
    return tuple(sorted(seen.values(), key=str.lower))


def evaluate(
    request: Request,
    identity_policies: Sequence[Policy],
    permission_boundaries: Sequence[Policy] | None = None,
    resource_policy: Policy | None = None,
    session_policies: Sequence[Policy] | None = None,
) -> Decision:
    """One decision; to evaluate many requests for the same policies, build a PolicySet once."""
    return PolicySet(identity_policies, permission_boundaries, resource_policy, session_policies).evaluate(
        request
    )
