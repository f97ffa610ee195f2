"""Reads: one function per AWS Get*/List* action, each authorized like the writes."""
