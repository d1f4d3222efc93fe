"""NOXUS Local: the NOXUS tools API v1 on your own machine.

``package_version()`` is the installed version, for ``noxus_build_info``, backups
and doctor. Example: ``package_version()  # "0.1.0"``
"""

from __future__ import annotations

from importlib import metadata


def package_version() -> str:
    try:
        return metadata.version("noxus-local")
    except metadata.PackageNotFoundError:  # a build without package metadata (e.g. a frozen binary)
        return "0+unknown"
