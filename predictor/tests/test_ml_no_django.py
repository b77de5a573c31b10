"""predictor.ml must stay importable (and testable) without Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ML_DIR = PROJECT_ROOT / "predictor" / "ml"


def test_importing_every_ml_module_never_imports_django():
    modules = sorted(f"predictor.ml.{p.stem}" for p in ML_DIR.glob("*.py") if p.stem != "__init__")
    assert "predictor.ml.training" in modules
    code = "; ".join(
        [
            "import sys",
            *(f"import {m}" for m in modules),
            "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))",
            "assert not leaked, leaked",
            "print('ok', len(sys.argv))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
