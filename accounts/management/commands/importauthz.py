"""`manage.py importauthz --account <id> <file>`: restore an account's users, groups, roles and
customer managed policies from a GetAccountAuthorizationDetails JSON file (docs/authorization-details.md).

Runs as the account's root user on the internal channel, through the import service: every write is
authorized and audited, and the first error undoes them all.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.context import system_context
from accounts.models import User
from accounts.services import account_import
from iam_portal.errors import IamError


class Command(BaseCommand):
    help = (
        "Import a GetAccountAuthorizationDetails JSON file (as `aws iam get-account-authorization-details` "
        "prints it) into an account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="the 12-digit id of the account to import into")
        parser.add_argument(
            "--on-conflict",
            choices=account_import.ON_CONFLICT,
            default=account_import.FAIL,
            help="fail (default): stop, importing nothing, if an entity exists; skip: leave it as it is",
        )
        parser.add_argument("file", help="the JSON file ('-' is not supported: give a path)")

    def handle(self, *args: object, **options: object) -> None:
        root = (
            User.objects.select_related("account")
            .filter(account__account_id=options["account"], is_root=True)
            .first()
        )
        if root is None:
            raise CommandError(f"No account {options['account']}.")
        try:
            content = Path(str(options["file"])).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}.") from None
        try:
            summary = account_import.import_account_authorization_details(
                system_context(root), content=content, on_conflict=str(options["on_conflict"])
            )
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        counts = summary.counts()
        self.stdout.write(
            f"Imported {counts['users']} users, {counts['groups']} groups, {counts['roles']} roles, "
            f"{counts['policies']} policies ({counts['policy_versions']} versions), "
            f"{counts['inline_policies']} inline policies, {counts['attachments']} attachments, "
            f"{counts['memberships']} memberships."
        )
        if summary.skipped:
            self.stdout.write("skipped: " + ", ".join(summary.skipped))
