"""The README's signature-verification example, run against a real delivery."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from keyhouse.core import clock
from keyhouse.webhooks.delivery import deliver_due
from keyhouse.webhooks.signing import signature_header
from tests.factories import World
from tests.webhooks.conftest import create_webhook, hooks_url
from tests.webhooks.receiver import Receiver

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_verifier() -> Any:
    section = README.read_text().split("## Webhooks", 1)[1]
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", section, re.DOTALL)
        if "def verify_keyhouse_signature" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify_keyhouse_signature"]


def test_the_readme_example_verifies_a_real_delivery(
    admin: TestClient, world: World, receiver: Receiver
) -> None:
    verify = _readme_verifier()
    hook = create_webhook(admin, world, receiver.url)
    admin.post(f"{hooks_url(world)}/{hook['id']}/test")
    assert deliver_due(world.db, now=clock.now()).delivered == 1
    (request,) = receiver.requests
    header, body = request.headers["keyhouse-signature"], request.body.encode()
    assert verify(hook["secret"], header, body)
    assert not verify(hook["secret"], header, body + b" ")
    assert not verify("whsec_" + "0" * 32, header, body)
    assert not verify(hook["secret"], "v1=abc", body)
    assert not verify(hook["secret"], "", body)
    # A correct signature that is too old (a replay) is refused.
    old = int(time.time()) - 301
    assert not verify(hook["secret"], signature_header(hook["secret"], old, request.body), body)
    fresh = int(time.time()) - 60
    assert verify(hook["secret"], signature_header(hook["secret"], fresh, request.body), body)
