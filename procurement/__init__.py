"""Minh Bạch's kernel: accounts, organisations, roles, the public ledger and pure crypto. It
imports no other package of the project (docs/architecture.md)."""
