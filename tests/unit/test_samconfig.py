"""samconfig.toml: a dev and a prod environment, each its own stack, as the SAM CLI reads them.

The file is read twice: as TOML (what is written), and through the SAM CLI's own reader and option types (what
``sam deploy --config-env prod`` and ``sam sync --config-env dev`` receive: ``global`` merged into each command).
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from local.template import ROOT, evaluate_condition, load_template, parameter_values

SAMCONFIG = ROOT / "samconfig.toml"
STACKS = {"dev": "shortlinks-dev", "prod": "shortlinks-prod"}


def _toml() -> dict[str, Any]:
    with SAMCONFIG.open("rb") as handle:
        return tomllib.load(handle)


def _sam_reads(environment: str, command: str) -> dict[str, Any]:
    """The options ``sam <command> --config-env <environment>`` takes from the file."""
    from samcli.lib.config.samconfig import SamConfig  # type: ignore[import-untyped]

    # A fresh reader per call: get_all merges global into the command's section in its cached document.
    return dict(SamConfig(ROOT).get_all([command], "parameters", env=environment))


def _overrides(options: dict[str, Any]) -> dict[str, str]:
    from samcli.cli.types import CfnParameterOverridesType  # type: ignore[import-untyped]

    return dict(CfnParameterOverridesType().convert(options["parameter_overrides"], None, None))


def _tags(options: dict[str, Any]) -> dict[str, str]:
    from samcli.cli.types import CfnTags

    return dict(CfnTags().convert(options["tags"], None, None))


def test_there_are_two_environments_and_no_default_stack() -> None:
    """A deploy always names its environment: a plain ``sam deploy`` must not create a third stack."""
    config = _toml()

    assert set(config) == {"version", "default", "dev", "prod"}
    assert set(config["default"]) == {"build", "validate"}
    assert _sam_reads("default", "deploy") == {}


@pytest.mark.parametrize(("environment", "stack"), STACKS.items())
def test_each_environment_deploys_its_own_stack_tagged_with_its_name(environment: str, stack: str) -> None:
    deploy = _sam_reads(environment, "deploy")

    assert deploy["stack_name"] == stack
    assert deploy["s3_prefix"] == stack
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert _tags(deploy) == {"project": "shortlinks", "environment": environment}
    assert _overrides(deploy)["Environment"] == environment


def test_prod_confirms_each_change_set_and_dev_does_not() -> None:
    assert _sam_reads("prod", "deploy")["confirm_changeset"] is True
    assert _sam_reads("dev", "deploy")["confirm_changeset"] is False


def test_only_dev_syncs_and_it_watches() -> None:
    """sam sync skips the change set and CodeDeploy's canary: prod has no stack name for it, so it stops."""
    config = _toml()

    assert config["dev"]["sync"]["parameters"] == {"watch": True}
    assert _sam_reads("dev", "sync")["stack_name"] == STACKS["dev"]
    assert "sync" not in config["prod"]
    assert "global" not in config["prod"]
    assert "stack_name" not in _sam_reads("prod", "sync")


@pytest.mark.parametrize("environment", STACKS)
def test_the_overrides_are_parameters_of_the_template_within_their_limits(environment: str) -> None:
    template = load_template()
    overrides = _overrides(_sam_reads(environment, "deploy"))

    values = parameter_values(template, overrides)  # raises on a name the template does not declare
    for name, value in overrides.items():
        spec = template["Parameters"][name]
        if "AllowedValues" in spec:
            assert value in [str(allowed) for allowed in spec["AllowedValues"]], name
        if "MinValue" in spec:
            assert spec["MinValue"] <= int(value) <= spec["MaxValue"], name
    assert evaluate_condition({"Condition": "IsProd"}, template, values) is (environment == "prod")


def test_prod_keeps_more_logs_and_reserves_concurrency_where_dev_does_not() -> None:
    dev, prod = (_overrides(_sam_reads(environment, "deploy")) for environment in ("dev", "prod"))

    assert int(prod["LogRetentionDays"]) > int(dev["LogRetentionDays"])
    assert dev["ExpandReservedConcurrency"] == dev["AnalyticsReservedConcurrency"] == "0"
    assert "ExpandReservedConcurrency" not in prod  # the template's defaults
    assert "AnalyticsReservedConcurrency" not in prod


@pytest.mark.parametrize("environment", ["default", *STACKS])
def test_validate_lints_in_every_environment(environment: str) -> None:
    assert _sam_reads(environment, "validate")["lint"] is True
