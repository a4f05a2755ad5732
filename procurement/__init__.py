"""Minh Bạch: the Django project and the shared kernel (accounts, roles, the public ledger)."""
