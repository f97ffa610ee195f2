"""`manage.py createaccount`: sign up an account (and optionally its alias) from the command line.

Everything goes through the services, exactly as a sign-up, a CreateAccountAlias and a
CreateAccessKey by the new root user would; either all happen or nothing does.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.context import system_context
from accounts.services.access_keys import create_access_key
from accounts.services.account import create_account, create_account_alias
from iam_portal.errors import IamError


class Command(BaseCommand):
    help = "Create an account and its root user; prints the new account id (or JSON with --json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the root user's email address")
        parser.add_argument("--password", required=True, help="the root user's password")
        parser.add_argument("--alias", help="an account alias (CreateAccountAlias rules apply)")
        parser.add_argument(
            "--root-access-key", action="store_true", help="also issue an access key for the root user"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON object instead of the id")

    def handle(self, *args: object, **options: object) -> None:
        issued = None
        try:
            # One transaction: a rejected alias must not leave the account behind.
            with transaction.atomic():
                root = create_account(email=options["email"], password=options["password"])
                if options["alias"] is not None:
                    create_account_alias(system_context(root), account_alias=options["alias"])
                if options["root_access_key"]:
                    issued = create_access_key(system_context(root))
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        account_id = root.account.account_id
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "account_id": account_id,
                        "root_user_email": root.email,
                        "access_key_id": issued.access_key.access_key_id if issued else None,
                        "secret_access_key": issued.secret_access_key if issued else None,
                    }
                )
            )
        else:
            self.stdout.write(account_id)
            if issued:  # shown this once; AWS never shows a secret access key again
                self.stdout.write(f"{issued.access_key.access_key_id} {issued.secret_access_key}")
