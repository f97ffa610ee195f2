"""`manage.py seeddemo`: a realistic account at scale (accounts/services/demo_data.py).

    python manage.py seeddemo --users 5000 --groups 300 --policies 1000
creates a new account (prints its id and the root user's sign-in email; the password is the one given,
or a random one printed once) and fills it; `--account <id>` fills an existing account instead.
"""

from __future__ import annotations

import secrets
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.context import system_context
from accounts.models import User
from accounts.services.account import create_account
from accounts.services.demo_data import DemoSize, seed_demo
from iam_portal.errors import IamError


class Command(BaseCommand):
    help = "Create (or fill) an account with thousands of users, groups, policies, roles, keys and devices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=DemoSize.users)
        parser.add_argument("--groups", type=int, default=DemoSize.groups)
        parser.add_argument("--policies", type=int, default=DemoSize.policies)
        parser.add_argument("--roles", type=int, default=DemoSize.roles)
        parser.add_argument("--seed", type=int, default=1, help="the random seed of the account's shape")
        parser.add_argument("--account", help="fill this existing account instead of creating one")
        parser.add_argument("--email", default=None, help="the new account's root email")
        parser.add_argument("--password", default=None, help="the new account's root password")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        for size in ("users", "groups", "policies", "roles"):
            if options[size] < 0:
                raise CommandError(f"--{size} must be 0 or more.")
        try:
            if options["account"]:
                root = (
                    User.objects.select_related("account")
                    .filter(is_root=True, account__account_id=options["account"])
                    .first()
                )
                if root is None:
                    raise CommandError(f"No account {options['account']}.")
                if User.objects.filter(account=root.account, is_root=False).exists():
                    # Bulk inserts check no quota and would collide with the account's own names.
                    raise CommandError(
                        f"Account {options['account']} has IAM users: seeddemo fills empty accounts."
                    )
            else:
                password = options["password"] or secrets.token_urlsafe(18)
                email = options["email"] or f"demo-{secrets.token_hex(4)}@example.com"
                root = create_account(email=email, password=password)
                self.stdout.write(f"account {root.account.account_id}, root user {email}")
                if not options["password"]:  # shown this once
                    self.stdout.write(f"root password: {password}")
            size = DemoSize(options["users"], options["groups"], options["policies"], options["roles"])
            counts = seed_demo(system_context(root), size, seed=options["seed"])
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count}")
        self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s")
