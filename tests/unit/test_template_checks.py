"""What checkov is told to skip, and why: every skip in template.yaml (``Metadata: checkov: skip:``) and in the
transform's ``GENERATED_SKIPS`` carries its reason, reaches the resource SAM generates, and is the list in
docs/operations.md ("Checks in make test"), so a new skip cannot slip in unexplained."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import ROOT, load_template
from local.template_transform import GENERATED_SKIPS, transform

OPERATIONS_GUIDE = ROOT / "docs" / "operations.md"
TABLE_HEADER = "| Check | Skipped for | Why |"


def _skips(resources: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (skip["id"], name)
        for name, resource in resources.items()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
    }


@pytest.fixture(scope="module")
def transformed(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Any]:
    resources: dict[str, Any] = transform(load_template())["Resources"]
    return resources


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield patch


def test_every_skip_in_the_template_gives_its_reason() -> None:
    for name, resource in load_template()["Resources"].items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []:
            assert set(skip) == {"id", "comment"}, name
            assert len(skip["comment"]) > 20, (name, skip["id"])
    for name, skips in GENERATED_SKIPS.items():
        assert all(len(reason) > 20 for _, reason in skips), name


def test_the_transform_carries_each_skip_to_the_resource_sam_generates(transformed: dict[str, Any]) -> None:
    declared = _skips(load_template()["Resources"])
    generated = {(check, name) for name, skips in GENERATED_SKIPS.items() for check, _ in skips}

    carried = _skips(transformed)
    assert declared | generated <= carried
    # SAM copies a resource's Metadata to the resources it derives from it (AnalyticsFunctionEventInvokeConfig).
    for check, name in carried - declared - generated:
        assert any(name.startswith(source) for skipped, source in declared if skipped == check), (check, name)
    assert set(GENERATED_SKIPS) <= set(transformed)
    assert all(name not in load_template()["Resources"] for name in GENERATED_SKIPS)


def _named(resources: str) -> set[str]:
    """A row's "Skipped for": logical ids, or "every function" and "every function's log group"."""
    template = load_template()["Resources"]
    functions = {name for name, resource in template.items() if resource["Type"] == "AWS::Serverless::Function"}
    named: set[str] = set()
    for resource in (part.strip() for part in resources.split(",")):
        if resource == "every function":
            named |= functions
        elif resource == "every function's log group":
            named |= {name for name in template if name.removesuffix("Logs") in functions and name.endswith("Logs")}
        else:
            named.add(resource)
    return named


def test_the_skips_are_the_operations_guides_list() -> None:
    lines = OPERATIONS_GUIDE.read_text(encoding="utf-8").splitlines()
    listed: set[tuple[str, str]] = set()
    for line in lines[lines.index(TABLE_HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        check, resources, _ = (cell.strip().replace("`", "") for cell in line.strip("|").split("|"))
        listed |= {(check.split()[0], resource) for resource in _named(resources)}
    skipped = _skips(load_template()["Resources"])
    skipped |= {(check, name) for name, skips in GENERATED_SKIPS.items() for check, _ in skips}

    assert listed == skipped


def test_the_transform_needs_no_network_nor_packaged_code(transformed: dict[str, Any]) -> None:
    functions = [resource for resource in transformed.values() if resource["Type"] == "AWS::Lambda::Function"]

    assert functions
    assert all(function["Properties"]["Code"]["S3Bucket"] == "placeholder-bucket" for function in functions)
