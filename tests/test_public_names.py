"""Every module's ``__all__`` lists each public name once, and each name is there."""

import importlib
import pkgutil

import pytest

import micrograd

MODULES = sorted(  # all but ``python -m micrograd.cli``'s __main__, which runs the command
    info.name
    for info in pkgutil.walk_packages(micrograd.__path__, prefix="micrograd.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", ["micrograd", *MODULES])
def test_all_names_each_public_name_once(name):
    module = importlib.import_module(name)
    names = getattr(module, "__all__", [])
    assert sorted({n for n in names if names.count(n) > 1}) == []
    assert [n for n in names if not hasattr(module, n)] == []
