"""IAM Portal: a self-hosted identity and access management portal that behaves like AWS IAM."""
