"""Accounts, apps and API keys."""
