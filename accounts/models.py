"""Account, users, groups, roles and credentials (issue 3 fills this in)."""
