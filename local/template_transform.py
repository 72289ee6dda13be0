"""Write the CloudFormation that SAM makes of template.yaml, offline, so that checkov can check what deploys.

``sam validate`` checks the transform but does not output it, and checkov reads the SAM resources of template.yaml
only as far as it understands them: the roles SAM generates from ``Policies``, the HTTP API's stage and routes and
the Lambda permissions exist only in the transformed template. This runs SAM's own translator (samtranslator, which
the SAM CLI uses) on the template as its defaults deploy it, with placeholder S3 locations for the code (nothing is
packaged or uploaded), and writes the result as JSON.

checkov's suppressions in template.yaml are ``Metadata: checkov: skip:`` entries (each with its reason), which the
translator copies onto the resources it generates from a SAM resource. Resources it generates from nothing in the
template (the HTTP API's stage) get theirs from ``GENERATED_SKIPS`` below, with their reasons.

    python -m local.template_transform [--output PATH] [--source PATH]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
from pathlib import Path
from typing import Any

from local.template import ROOT, load_template

TRANSFORMED_PATH = ROOT / ".aws-sam" / "transformed" / "template.json"
PLACEHOLDER_CODE = "s3://placeholder-bucket/code.zip"  # offline: the translator needs a location, never reads it

# checkov skips for resources SAM generates without a resource of ours to carry them: (check id, reason).
GENERATED_SKIPS: dict[str, list[tuple[str, str]]] = {}


class _NoManagedPolicies:
    """The translator resolves managed policy names through IAM; the template names none, so offline is exact."""

    def load(self) -> dict[str, str]:
        return {}


def transform(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation SAM makes of ``template`` (a copy; code locations replaced by placeholders)."""
    from samtranslator.translator.transform import transform as sam_transform  # type: ignore[import-untyped]

    source = copy.deepcopy(template)
    if "CodeUri" in ((source.get("Globals") or {}).get("Function") or {}):
        source["Globals"]["Function"]["CodeUri"] = PLACEHOLDER_CODE
    for resource in source.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            properties["CodeUri"] = PLACEHOLDER_CODE
        if resource.get("Type") == "AWS::Serverless::LayerVersion" and "ContentUri" in properties:
            properties["ContentUri"] = PLACEHOLDER_CODE
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region, even offline
    transformed: dict[str, Any] = sam_transform(source, {}, _NoManagedPolicies())
    for logical_id, skips in GENERATED_SKIPS.items():
        resource = transformed["Resources"][logical_id]
        checkov = resource.setdefault("Metadata", {}).setdefault("checkov", {})
        checkov.setdefault("skip", []).extend({"id": check, "comment": reason} for check, reason in skips)
    return transformed


def write_transformed(output: Path = TRANSFORMED_PATH, source: Path | None = None) -> Path:
    template = load_template(source) if source else load_template()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(transform(template), indent=1) + "\n", encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=TRANSFORMED_PATH, help=f"default: {TRANSFORMED_PATH}")
    parser.add_argument("--source", type=Path, default=None, help="default: template.yaml")
    args = parser.parse_args(argv)
    print(write_transformed(args.output, args.source))  # the path, for the caller
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
