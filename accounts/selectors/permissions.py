"""What the caller may do, for showing or hiding console controls (no audit: nothing is attempted).

The decision is the policy engine's, as for the request itself; a control that is shown can still
be refused (the service authorizes again), and one that is hidden is refused if forged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..authz import is_allowed
from ..context import RequestContext


def allowed(ctx: RequestContext, checks: Mapping[str, tuple[str, str]]) -> dict[str, bool]:
    """{name: whether the caller may perform the action on the resource} for {name: (action, arn)}."""
    return {name: is_allowed(ctx, action, resource) for name, (action, resource) in checks.items()}
