"""Managed policies and their versions (issue 4 fills this in)."""
