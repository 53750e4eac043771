"""``jdx.workflows.Binding``: what a workflow step finds in its process, and the error without it."""

from __future__ import annotations

import pytest

from jdx.workflows import Binding


def test_a_step_without_its_binding_is_told_which_call_binds_it() -> None:
    binding: Binding[str] = Binding("demo workflows", "jdx.demo.bind")
    assert not binding.bound
    with pytest.raises(RuntimeError, match=r"demo workflows are not bound \(jdx\.demo\.bind\)"):
        binding.get()
    binding.set("runtime")
    assert binding.bound and binding.get() == "runtime"
    binding.set(None)
    with pytest.raises(RuntimeError):
        binding.get()
