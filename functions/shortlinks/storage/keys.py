"""Single-table key design (docs/architecture.md explains it). Every key is built here and nowhere else."""

from __future__ import annotations

LINK_SK = "LINK"


def link_pk(domain: str, code: str) -> str:
    """Links are namespaced per short domain: the same code on two domains is two items."""
    return f"LINK#{domain}#{code}"
