"""`manage.py resealsecrets`: re-seal every stored secret under the first IAM_PORTAL_SECRET_KEY key.

Run it after a key rotation (settings.py); prints how many secrets each table had under an old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.services.secrets import reseal_secrets
from iam_portal.secretbox import SecretBoxError


class Command(BaseCommand):
    help = "Re-seal secret access keys, session secrets and TOTP seeds under the current key."

    def handle(self, *args: object, **options: object) -> None:
        try:
            counts = reseal_secrets()
        except SecretBoxError as exc:  # a value sealed by a key no longer configured
            raise CommandError(f"{exc}; add that key after the new one in IAM_PORTAL_SECRET_KEY") from None
        for model, count in counts.items():
            self.stdout.write(f"{model}: {count} re-sealed")
