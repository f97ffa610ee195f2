"""What the caller may do, for showing or hiding console controls (no audit: nothing is attempted).

The decision is the policy engine's, as for the request itself; a control that is shown can still
be refused (the service authorizes again), and one that is hidden is refused if forged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..authz import is_allowed
from ..context import RequestContext

Check = tuple[str, str] | tuple[str, str, Mapping[str, object]]


def allowed(ctx: RequestContext, checks: Mapping[str, Check]) -> dict[str, bool]:
    """{name: whether the caller may perform the action on the resource} for {name: (action, arn)},
    or (action, arn, extra condition keys) where a policy may test them (aws:ResourceTag/*, …)."""
    out = {}
    for name, (action, resource, *extra) in checks.items():
        out[name] = is_allowed(ctx, action, resource, dict(extra[0]) if extra else None)
    return out
