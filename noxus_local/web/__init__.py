"""Web pages as typed facts: fetched through the SSRF guard (fetch.py), read by page.py, kits in brand.py."""
