"""The anchor for verification: djangorestframework-api-key's `APIKey.objects.is_valid`.

Installed into this venv from PyPI on first use, configured in-process on a temporary
SQLite database, keys made with `APIKey.objects.create_key` (the library's own way).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REQUIREMENTS = ("Django>=4.2,<6", "djangorestframework>=3.14", "djangorestframework-api-key==3.1.*")


def ensure_installed() -> str:
    """Install Django and djangorestframework-api-key when missing; their versions."""
    try:
        importlib.import_module("rest_framework_api_key")
        importlib.import_module("django")
    except ImportError:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *REQUIREMENTS,
            ],
            check=True,
        )
        importlib.invalidate_caches()
    from importlib.metadata import version

    return (
        f"Django {version('django')}, "
        f"djangorestframework-api-key {version('djangorestframework-api-key')}"
    )


class DrfKeys:
    """A configured Django with `count` keys; `is_valid` is the function to time."""

    def __init__(self, count: int, workdir: Path | None = None) -> None:
        self.version = ensure_installed()
        import django
        from django.conf import settings

        self._dir = tempfile.mkdtemp(prefix="drf-bench-", dir=workdir)
        if not settings.configured:
            settings.configure(
                DEBUG=False,
                USE_TZ=True,
                SECRET_KEY="bench-only",
                INSTALLED_APPS=["django.contrib.contenttypes", "rest_framework_api_key"],
                DATABASES={
                    "default": {
                        "ENGINE": "django.db.backends.sqlite3",
                        "NAME": str(Path(self._dir) / "drf.sqlite3"),
                    }
                },
            )
            django.setup()
        from django.core.management import call_command
        from django.db import transaction
        from rest_framework_api_key.models import APIKey

        call_command("migrate", verbosity=0)
        self.model: Any = APIKey
        self.keys: list[str] = []
        with transaction.atomic():
            for i in range(count):
                _, key = APIKey.objects.create_key(name=f"key {i}")
                self.keys.append(key)

    def is_valid(self, key: str) -> bool:
        return bool(self.model.objects.is_valid(key))
