"""Policies: managed and inline policy documents, and the policy engine that evaluates them."""
