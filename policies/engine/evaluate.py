"""The decision: explicit deny > allow > implicit deny, across identity, boundary and resource policies.

Rules (IAM User Guide, policy evaluation logic; permissions boundaries; cross-account evaluation):
- An explicit Deny in any policy that applies wins.
- Same account: an Allow from the identity policies (inside every permissions boundary, when there
  is one) or from the resource policy is enough. A resource policy that names the account (its id
  or `:root`) only delegates to the account, so the identity policies must allow too. A grant to an
  IAM user ARN or a role session ARN is not limited by the boundary; a grant to a role ARN is.
- Role trust policies are the exception to "either is enough": the trust policy must allow the
  caller (naming it, or naming its account, in which case the identity policies must allow too).
- Cross account: the identity policies (and boundary) and the resource policy must both allow.
- Otherwise the request is implicitly denied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .document import Policy, Statement
from .matching import arn_account, compile_arn
from .variables import Context, resolve

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
IDENTITY, BOUNDARY, RESOURCE = "identity", "boundary", "resource"
_LAYER_WORDS = {IDENTITY: "an identity-based policy", BOUNDARY: "a permissions boundary",
                RESOURCE: "a resource-based policy"}
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
    policy_type: str  # identity | boundary | resource
    sid: str | None
    index: int
    effect: str

    def as_dict(self) -> dict[str, object]:
        return {"policy": self.policy, "policyType": self.policy_type, "sid": self.sid,
                "statementIndex": self.index, "effect": self.effect}


@dataclass(frozen=True)
class Decision:
    decision: str  # Allowed | ExplicitlyDenied | ImplicitlyDenied
    decided_by: str  # the layer that decided: identity | boundary | resource
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


Candidate = tuple[Policy, Statement]


def normalize_context(context: Mapping[str, object]) -> Context:
    """Lower-case the keys; read JSON booleans and numbers as their string form; drop nulls."""
    out: Context = {}
    for key, value in context.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
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


def _resource_applies(st: Statement, resource: str, context: Context) -> bool:
    if st.resources is None:
        return True
    if st.static_resources is not None:
        return st.static_resources(resource) != st.not_resource
    hit = False
    for pat in st.resources:
        if pat.matcher is not None:
            hit = pat.matcher(resource)
        else:
            segments = resolve(pat.template, context)  # type: ignore[arg-type]
            if segments is None:
                if st.not_resource:
                    return False  # an unresolvable variable invalidates the statement
                continue
            hit = compile_arn(segments)(resource)
        if hit:
            break
    return hit != st.not_resource


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


class PolicySet:
    """The compiled policies that apply to one principal (and optionally one resource policy).

    Compile once, evaluate many requests: statements are filtered by action once per distinct
    action, so a request only looks at statements that can match it.
    """

    def __init__(self, identity_policies: Sequence[Policy],
                 permission_boundaries: Sequence[Policy] | None = None,
                 resource_policy: Policy | None = None):
        self.identity_policies = tuple(identity_policies)
        self.permission_boundaries = None if permission_boundaries is None else tuple(permission_boundaries)
        self.resource_policy = resource_policy
        self._by_action: dict[str, tuple] = {}

    def _candidates(self, action_lc: str) -> tuple:
        found = self._by_action.get(action_lc)
        if found is None:
            def pick(policies: Sequence[Policy]) -> tuple[Candidate, ...]:
                return tuple((pol, st) for pol in policies for st in pol.statements
                             if st.matches_action(action_lc) != st.not_action)

            found = (pick(self.identity_policies),
                     tuple(pick([b]) for b in self.permission_boundaries or ()),
                     pick([self.resource_policy] if self.resource_policy else []))
            if len(self._by_action) >= _CACHE_LIMIT:
                self._by_action.clear()
            self._by_action[action_lc] = found
        return found

    def _is_trust(self, action: str) -> bool:
        """Whether the resource policy is a role trust policy, which must always allow the caller."""
        rp = self.resource_policy
        return rp is not None and (rp.kind == "trust" or action.lower().startswith(TRUST_ACTION_PREFIX))

    def evaluate(self, request: Request) -> Decision:
        context = normalize_context(request.context)
        identity, boundaries, resource = self._candidates(request.action.lower())
        missing: dict[str, None] = {}

        def applied(candidates: tuple[Candidate, ...], layer: str) -> tuple[list, list]:
            allows, denies = [], []
            for pol, st in candidates:
                grant = None
                if layer == RESOURCE:
                    grant = principal_grant(st, request.principal)
                    if grant is None:
                        continue
                if not _resource_applies(st, request.resource, context):
                    continue
                for key in st.condition_keys:
                    if key.lower() not in context:
                        missing.setdefault(key, None)
                if all(clause.holds(context) for clause in st.clauses):
                    hit = (MatchedStatement(pol.name, layer, st.sid, st.index, st.effect), grant)
                    (denies if st.effect == "Deny" else allows).append(hit)
            return allows, denies

        id_allows, id_denies = applied(identity, IDENTITY)
        boundary_results = [applied(b, BOUNDARY) for b in boundaries]
        res_allows, res_denies = applied(resource, RESOURCE)
        missing_keys = _unique_case_insensitive(missing)

        boundary_denies = [d for _, denies in boundary_results for d in denies]
        for layer, denies in ((IDENTITY, id_denies), (BOUNDARY, boundary_denies), (RESOURCE, res_denies)):
            if denies:
                every_deny = id_denies + boundary_denies + res_denies
                return Decision(EXPLICIT_DENY, layer, tuple(m for m, _ in every_deny), missing_keys)

        boundary_allows = [a for allows, _ in boundary_results for a in allows]
        boundary_ok = all(allows for allows, _ in boundary_results)
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
            if identity_ok and (not self._is_trust(request.action) or "account" in grants):
                return decided(ALLOWED, IDENTITY, id_allows + boundary_allows + res_allows)
        elif identity_ok and grants:
            return decided(ALLOWED, RESOURCE, id_allows + boundary_allows + res_allows)

        if id_allows or grants:
            layer = BOUNDARY if not boundary_ok else IDENTITY if not id_allows else RESOURCE
        else:
            layer = RESOURCE if self.resource_policy and not self.identity_policies else IDENTITY
        return decided(IMPLICIT_DENY, layer, id_allows + boundary_allows + res_allows)


def _unique_case_insensitive(keys: dict[str, None]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for key in keys:
        seen.setdefault(key.lower(), key)
    return tuple(sorted(seen.values(), key=str.lower))


def evaluate(request: Request, identity_policies: Sequence[Policy],
             permission_boundaries: Sequence[Policy] | None = None,
             resource_policy: Policy | None = None) -> Decision:
    """One decision; to evaluate many requests for the same policies, build a PolicySet once."""
    return PolicySet(identity_policies, permission_boundaries, resource_policy).evaluate(request)
