"""Accounts: the account, its root user, IAM users, groups, roles and their credentials."""
