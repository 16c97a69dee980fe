"""Shared paths for the binding's tests."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def catalog():
    import eligo

    return eligo.Catalog.from_file(ROOT / "policies" / "catalog.json")
