"""Writes: one function per AWS action, each authorizing, validating, writing and auditing."""
