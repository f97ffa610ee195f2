"""The JSON case contract of `python -m policies.engine evaluate` (one case in, one result out)."""

from __future__ import annotations

import json
from functools import lru_cache

from .document import Policy, PolicyError, parse_policy
from .evaluate import PolicySet, Request


class CaseError(ValueError):
    """A case that is not valid JSON or not in the contract's shape."""


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise CaseError(f"duplicate key {key!r} in the case")
    return dict(pairs)


def read_case(line: str) -> dict:
    try:
        case = json.loads(line, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise CaseError(f"not valid JSON: {exc}") from exc
    if not isinstance(case, dict):
        raise CaseError("a case must be a JSON object")
    return case


@lru_cache(maxsize=1024)
def _compiled(text: str, kind: str, name: str) -> Policy:
    return parse_policy(json.loads(text), kind=kind, name=name)


def _policy(document: object, kind: str, name: str) -> Policy:
    """Compile a document once however many cases repeat it (documents are immutable)."""
    if not isinstance(document, dict):
        raise CaseError(f"{name} must be a policy document (a JSON object)")
    try:
        return _compiled(json.dumps(document, sort_keys=True), kind, name)
    except PolicyError as exc:
        raise CaseError(f"{name}: {exc}") from exc


def _policies(case: dict, field: str, kind: str, *, nullable: bool) -> list[Policy] | None:
    docs = case.get(field)
    if docs is None and nullable:
        return None
    if not isinstance(docs, list):
        raise CaseError(f"{field} must be a list of policy documents")
    return [_policy(doc, kind, f"{field}[{i}]") for i, doc in enumerate(docs)]


def _request(case: dict) -> Request:
    req = case.get("request")
    if not isinstance(req, dict):
        raise CaseError("request must be an object")
    for field in ("principal", "action", "resource"):
        if not isinstance(req.get(field), str) or not req[field]:
            raise CaseError(f"request.{field} must be a non-empty string")
    context = req.get("context", {})
    if not isinstance(context, dict):
        raise CaseError("request.context must be an object")
    for key, value in context.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | bool | int | float) for v in values):
            raise CaseError(f"request.context[{key!r}] must be a string or a list of strings")
    account = req.get("resourceAccount")
    if account is not None and not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        raise CaseError("request.resourceAccount must be a 12-digit account id")
    return Request(req["principal"], req["action"], req["resource"], context, account)


def evaluate_case(case: dict) -> dict:
    """Evaluate one case of the contract; raise CaseError when it is not a valid case."""
    identity = _policies(case, "identityPolicies", "identity", nullable=False)
    boundaries = _policies(case, "permissionBoundaries", "identity", nullable=True)
    resource_doc = case.get("resourcePolicy")
    resource = None if resource_doc is None else _policy(resource_doc, "resource", "resourcePolicy")
    sessions = _policies(case, "sessionPolicies", "identity", nullable=True)
    decision = PolicySet(identity or [], boundaries, resource, sessions).evaluate(_request(case))
    return {
        "id": case.get("id"),
        "decision": decision.decision,
        "decidedBy": decision.decided_by,
        "matched": [m.as_dict() for m in decision.matched],
        "missingContextKeys": list(decision.missing_context_keys),
    }


def evaluate_line(line: str) -> dict:
    """One output object for one input line: a result, or {"id", "error"} for a bad case."""
    case_id = None
    try:
        case = read_case(line)
        case_id = case.get("id")
        return evaluate_case(case)
    except (CaseError, ValueError, RecursionError) as exc:  # ValueError: bad context values
        return {"id": case_id, "error": str(exc) or type(exc).__name__}
