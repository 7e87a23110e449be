"""Run huggingface_hub's real client against a FakeHub, in a child process.

Why a child: huggingface_hub reads ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and ``HF_HOME`` into
``huggingface_hub.constants`` once, at import, and this test session imported it offline
(tests/generators.py). ``HfApi(endpoint=...)`` and ``hf_hub_download(endpoint=...)`` would
point single calls at the server, but the offline switch would still refuse every request, and
the only way around it in-process is to overwrite the library's module state. A child started
with ``FakeHub.client_env`` is what a user's shell gives the client: the environment read at
import, nothing patched.

The child installs the session's network guard (tests/network_guard.py) before it imports
huggingface_hub, runs the snippet it is given (which binds ``result``), and prints one JSON
object: ``result``, or the error the snippet raised (class names, status, headers, message),
and every network attempt the guard refused (it sees Python's sockets; hf_xet, in Rust, is
never given anything to transfer by the fake, see server.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from hub.server import DEFAULT_TOKEN, FakeHub

TESTS = Path(__file__).resolve().parents[1]

PRELUDE = """\
import json, traceback
import network_guard
network_guard.install_network_guard()
import huggingface_hub
from huggingface_hub import HfApi
api = HfApi()
result = None
failure = None  # not "error": a snippet may bind that name in an except clause
try:
{snippet}
except Exception as raised:
    response = getattr(raised, "response", None)
    failure = {{
        "type": type(raised).__name__,
        "classes": [cls.__name__ for cls in type(raised).__mro__],
        "status": getattr(response, "status_code", None),
        "headers": dict(response.headers) if response is not None else {{}},
        "message": str(raised),
        "traceback": traceback.format_exc(),
    }}
print(json.dumps({{"result": result, "error": failure,
                  "blocked": network_guard.BLOCKED_NETWORK_ATTEMPTS}}, default=str))
"""


def run_client(hub: FakeHub, home: Path, snippet: str, *, token: str | None = DEFAULT_TOKEN,
               timeout: float = 60) -> dict[str, Any]:
    """Run ``snippet`` (Python with ``api``, an ``HfApi()``, in scope; it sets ``result``) in a
    child pointed at ``hub``; its ``{"result", "error", "blocked"}``."""
    base = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    env = hub.client_env(home, base, token=token)
    code = PRELUDE.format(snippet=textwrap.indent(textwrap.dedent(snippet).strip(), "    "))
    completed = subprocess.run([sys.executable, "-c", code], check=False, env=env, cwd=home,
                               capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["blocked"] == [], answer["blocked"]  # the client never tried to leave the machine
    return answer
