"""The custom domain in template.yaml: nothing without its parameters; with them, the API's domain and its DNS.

CloudFormation decides by the template's conditions, so these tests evaluate them (local.template's evaluator)
for each set of parameter values, and look at what would be created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import (
    ROOT,
    condition_values,
    created_items,
    failed_rules,
    function_specs,
    load_template,
    parameter_values,
    resolve_environment,
)
from local.template_variant import CUSTOM_DOMAIN_PARAMETERS, VARIANT_PARAMETERS, with_defaults, write_variant

DOMAIN_PARAMETERS = ("CustomDomainName", "CertificateArn", "HostedZoneId")
EDGE_ONLY_CONDITIONS = {
    "HasEdge",
    "CustomDomainOnEdge",
    "ManagesEdgeDns",
    "UsesGivenEdgeWebAcl",
    "CreatesEdgeWebAcl",
    "EdgeSendsHsts",
}
CUSTOM_DOMAIN_TYPES = {"AWS::ApiGatewayV2::DomainName", "AWS::ApiGatewayV2::ApiMapping", "AWS::Route53::RecordSet"}
WITHOUT_ZONE = {k: v for k, v in CUSTOM_DOMAIN_PARAMETERS.items() if k != "HostedZoneId"}


def _created(template: dict[str, Any], section: str, overrides: dict[str, str]) -> dict[str, Any]:
    """The resources (or outputs) a deploy with these parameter values creates: those whose condition holds."""
    return created_items(template, section, parameter_values(template, overrides))


def _types(resources: dict[str, Any]) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {}
    for name, resource in resources.items():
        by_type.setdefault(resource["Type"], []).append(name)
    return by_type


def _failed_rules(template: dict[str, Any], overrides: dict[str, str]) -> list[str]:
    return failed_rules(template, parameter_values(template, overrides))


def test_the_domain_parameters_are_optional() -> None:
    parameters = load_template()["Parameters"]

    assert {name: parameters[name]["Default"] for name in DOMAIN_PARAMETERS} == dict.fromkeys(DOMAIN_PARAMETERS, "")


def test_without_the_parameters_no_custom_domain_resource_or_output_is_created() -> None:
    template = load_template()

    assert condition_values(template, parameter_values(template)) == {
        "IsProd": False,
        "HasCustomDomain": False,
        "ManagesDns": False,
        "ShortLinksOnCustomDomain": False,
        "ExpandsThirdParty": True,
        "CapsExpandConcurrency": True,
        "CapsQrConcurrency": True,
        "CapsAnalyticsConcurrency": True,
        "HasAlarmEmail": False,
        "CapsCreateConcurrency": True,
        "CapsLinksConcurrency": True,
        "CapsAuthorizerConcurrency": True,
        "CapsKeysConcurrency": True,
        "CapsDomainsConcurrency": True,
        "CapsDocsConcurrency": True,
        # The edge (tests/unit/test_template_edge.py)
        "HasEdge": False,
        "CustomDomainOnApi": False,
        "ManagesApiDns": False,
        "CustomDomainOnEdge": False,
        "ManagesEdgeDns": False,
        "UsesGivenEdgeWebAcl": False,
        "CreatesEdgeWebAcl": False,
        "EdgeSendsHsts": False,
        "CapsConsoleConcurrency": True,
        # The access log's class (tests/unit/test_template_observability.py)
        "AccessLogsStandard": False,
    }
    assert not CUSTOM_DOMAIN_TYPES & set(_types(_created(template, "Resources", {})))
    assert set(_created(template, "Outputs", {})) == {
        name for name, output in template["Outputs"].items() if "Condition" not in output
    }
    assert _failed_rules(template, {}) == []


def test_with_the_parameters_the_api_gets_its_domain_and_dns_records() -> None:
    template = load_template()
    created = _created(template, "Resources", CUSTOM_DOMAIN_PARAMETERS)
    by_type = _types(created)

    [domain_id] = by_type["AWS::ApiGatewayV2::DomainName"]
    domain = created[domain_id]["Properties"]
    assert domain["DomainName"] == {"Ref": "CustomDomainName"}
    [configuration] = domain["DomainNameConfigurations"]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["SecurityPolicy"] == "TLS_1_2"
    assert configuration["CertificateArn"] == {"Ref": "CertificateArn"}
    assert configuration["IpAddressType"] == "dualstack"  # else the AAAA alias would resolve to nothing

    [mapping_id] = by_type["AWS::ApiGatewayV2::ApiMapping"]
    mapping = created[mapping_id]
    assert mapping["Properties"] == {"DomainName": {"Ref": domain_id}, "ApiId": {"Ref": "HttpApi"}, "Stage": "$default"}
    assert mapping["DependsOn"] == "HttpApiApiGatewayDefaultStage"

    records = {
        created[name]["Properties"]["Type"]: created[name]["Properties"] for name in by_type["AWS::Route53::RecordSet"]
    }
    assert set(records) == {"A", "AAAA"}
    for record in records.values():
        assert record["HostedZoneId"] == {"Ref": "HostedZoneId"}
        assert record["Name"] == {"Ref": "CustomDomainName"}
        assert record["AliasTarget"] == {
            "DNSName": {"Fn::GetAtt": [domain_id, "RegionalDomainName"]},
            "HostedZoneId": {"Fn::GetAtt": [domain_id, "RegionalHostedZoneId"]},
            "EvaluateTargetHealth": False,
        }
    assert _failed_rules(template, CUSTOM_DOMAIN_PARAMETERS) == []


def test_with_the_parameters_the_outputs_give_the_domain_url_and_its_dns_target() -> None:
    template = load_template()
    outputs = _created(template, "Outputs", CUSTOM_DOMAIN_PARAMETERS)

    assert outputs["CustomDomainUrl"]["Value"] == {"Fn::Sub": "https://${CustomDomainName}"}
    assert outputs["CustomDomainTarget"]["Value"] == {"Fn::GetAtt": ["CustomDomain", "RegionalDomainName"]}
    assert outputs["CustomDomainTargetHostedZoneId"]["Value"] == {
        "Fn::GetAtt": ["CustomDomain", "RegionalHostedZoneId"]
    }


def test_without_a_hosted_zone_the_domain_is_created_but_no_dns_record() -> None:
    template = load_template()
    conditions = condition_values(template, parameter_values(template, WITHOUT_ZONE))
    by_type = _types(_created(template, "Resources", WITHOUT_ZONE))

    assert conditions["HasCustomDomain"] is True
    assert conditions["ManagesDns"] is False
    assert "AWS::ApiGatewayV2::DomainName" in by_type
    assert "AWS::ApiGatewayV2::ApiMapping" in by_type
    assert "AWS::Route53::RecordSet" not in by_type
    assert "CustomDomainTarget" in _created(template, "Outputs", WITHOUT_ZONE)
    assert _failed_rules(template, WITHOUT_ZONE) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"CustomDomainName": "care.link"},
        {"CertificateArn": CUSTOM_DOMAIN_PARAMETERS["CertificateArn"]},
        {"HostedZoneId": "Z0000000000000000000"},
        {"CertificateArn": CUSTOM_DOMAIN_PARAMETERS["CertificateArn"], "HostedZoneId": "Z0000000000000000000"},
    ],
)
def test_half_a_custom_domain_creates_nothing_and_is_refused(overrides: dict[str, str]) -> None:
    """A deploy would otherwise succeed silently without the domain the operator asked for."""
    template = load_template()

    assert condition_values(template, parameter_values(template, overrides))["HasCustomDomain"] is False
    assert not CUSTOM_DOMAIN_TYPES & set(_types(_created(template, "Resources", overrides)))
    assert _failed_rules(template, overrides)


@pytest.mark.parametrize(
    ("overrides", "short_base_url"),
    [
        ({}, ""),
        ({"ShortBaseUrl": "https://sho.rt"}, "https://sho.rt"),
        (CUSTOM_DOMAIN_PARAMETERS, "https://care.link"),
        (WITHOUT_ZONE, "https://care.link"),
        (CUSTOM_DOMAIN_PARAMETERS | {"ShortBaseUrl": "https://sho.rt"}, "https://sho.rt"),
        ({"CustomDomainName": "care.link"}, ""),  # no certificate: no custom domain (and the rules refuse it)
    ],
)
def test_short_links_default_to_the_custom_domain_unless_short_base_url_is_set(
    overrides: dict[str, str], short_base_url: str
) -> None:
    template = load_template()

    for spec in function_specs(template).values():
        environment = resolve_environment(spec.environment, table_name="t", template=template, parameters=overrides)
        assert environment["SHORT_BASE_URL"] == short_base_url, spec.function


def test_the_validated_variant_is_the_template_with_the_example_values_as_defaults(tmp_path: Path) -> None:
    template = load_template()
    written = load_template(write_variant(tmp_path / "custom-domain.yaml"))
    expected = with_defaults(template, VARIANT_PARAMETERS)

    assert written["Globals"]["Function"].pop("CodeUri") == str(ROOT / "functions")
    expected["Globals"]["Function"].pop("CodeUri")
    for layer_id, resource in expected["Resources"].items():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            content = resource["Properties"].pop("ContentUri")
            assert written["Resources"][layer_id]["Properties"].pop("ContentUri") == str((ROOT / content).resolve())
    console, expected_console = (t["Resources"]["ConsoleFunction"]["Properties"] for t in (written, expected))
    assert console.pop("CodeUri") == str(ROOT / "console")
    expected_console.pop("CodeUri")
    assert written == expected
    conditions = condition_values(written, parameter_values(written))
    # Every optional part is on, but the environment: dev and prod differ only in the redirect's deployment type
    # (an !If, both of whose branches the validators check), and the edge, which has a variant of its own
    # (tests/unit/test_template_edge.py).
    assert conditions.pop("IsProd") is False
    assert {name for name, holds in conditions.items() if not holds} == EDGE_ONLY_CONDITIONS
    assert _failed_rules(written, {}) == []


def test_sam_generates_the_stage_the_api_mapping_depends_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mapping names SAM's generated ``$default`` stage of HttpApi; translate the template to be sure it is
    that id (a DependsOn on a missing resource fails the deploy, and neither validator reports it)."""
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region, even offline

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    variant = with_defaults(load_template(), CUSTOM_DOMAIN_PARAMETERS)
    variant["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"  # offline: no local code to package
    for resource in variant["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    variant["Resources"]["ConsoleFunction"]["Properties"]["CodeUri"] = "s3://bucket/console.zip"  # its own code
    resources: dict[str, Any] = transform(variant, {}, NoManagedPolicies())["Resources"]

    stage = resources[resources["CustomDomainApiMapping"]["DependsOn"]]
    assert stage["Type"] == "AWS::ApiGatewayV2::Stage"
    assert stage["Properties"]["StageName"] == "$default"
    assert stage["Properties"]["ApiId"] == {"Ref": "HttpApi"}
