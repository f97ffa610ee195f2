from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and identities"

    def ready(self) -> None:
        from django.db.models import CharField
        from django.db.models.functions import Lower

        # `user_name__lower=name.lower()`: names are unique per account case-insensitively through
        # indexes on Lower(name); `__iexact` (LIKE / UPPER()) cannot use them, `__lower` can.
        CharField.register_lookup(Lower)
