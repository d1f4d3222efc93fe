"""Outgoing requests: the SSRF guard, URL downloads and their slots."""
