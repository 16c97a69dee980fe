"""The type stubs match the extension module (mypy.stubtest)."""

import subprocess
import sys


def test_stubtest():
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "eligo._eligo"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
