"""Key rotation for secrets at rest: re-seal every sealed secret under the current key.

After IAM_PORTAL_SECRET_KEY="<new>,<old>" is deployed, new secrets are sealed with <new> and old ones
still open with <old>; `manage.py resealsecrets` (this module) then re-seals what <old> sealed, so that
<old> can be removed from the setting. Each row is re-sealed with its own context (the sealed value is
bound to its row), in batches of one transaction each, locking the rows it rewrites; secrets never
leave this process and nothing is logged but counts. An operator's maintenance, not an IAM action:
there is no caller to authorize and no account to audit it under.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Model

from iam_portal import secretbox

from ..models import AccessKey, MFADevice, SessionCredential
from ..selectors.access_keys import sealing_context as access_key_context
from ..selectors.mfa import sealing_context as mfa_context
from ..selectors.sts import session_sealing_context

# (model, the sealed field, the context its value is bound to)
SEALED: tuple[tuple[type[Model], str, Callable[[Model], str]], ...] = (
    (AccessKey, "secret_ciphertext", lambda key: access_key_context(key.access_key_id)),
    (SessionCredential, "secret_ciphertext", lambda session: session_sealing_context(session.access_key_id)),
    (MFADevice, "seed_ciphertext", lambda device: mfa_context(device.serial_number)),
)
BATCH = 500


def reseal_secrets() -> dict[str, int]:
    """Re-seal under the current key every secret another key sealed; counts per model."""
    box = secretbox.box()
    counts = {}
    for model, field, context in SEALED:
        resealed = 0
        stale = model.objects.exclude(**{field: ""}).exclude(
            **{f"{field}__startswith": f"{secretbox.VERSION}:{box.current_key_id}:"}
        )
        while True:
            with transaction.atomic():
                rows = list(stale.select_for_update().order_by("pk")[:BATCH])
                for row in rows:
                    plain = box.decrypt(getattr(row, field), context=context(row))
                    setattr(row, field, box.encrypt(plain, context=context(row)))
                model.objects.bulk_update(rows, [field])
            resealed += len(rows)
            if len(rows) < BATCH:
                break
        counts[model.__name__] = resealed
    return counts
