"""The edge in template.yaml (EnableEdge): nothing without it; with it, CloudFront in front of the API, the custom
domain on the distribution instead of API Gateway, the WAF web ACL, HSTS, and the functions told they are behind it.

CloudFormation decides by the template's conditions, so these tests evaluate them (local.template's evaluator) for
each set of parameter values, and look at what would be created.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.template import (
    condition_values,
    created_items,
    failed_rules,
    function_specs,
    load_template,
    parameter_values,
    resolve_environment,
    routes,
)
from local.template_variant import CUSTOM_DOMAIN_PARAMETERS, EDGE_PARAMETERS

EDGE = {"EnableEdge": "true"}
EDGE_ON_DOMAIN = EDGE | CUSTOM_DOMAIN_PARAMETERS
OUTSIDE_US_EAST_1 = {"AWS::Region": "eu-west-1"}
GIVEN_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shortlinks-edge/0a1b2c3d-0000-0000-0000-000000000000"
EDGE_TYPES = {
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::LoggingConfiguration",
}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    region = {k: v for k, v in overrides.items() if k.startswith("AWS::")}
    return parameter_values(template, {k: v for k, v in overrides.items() if k not in region}) | region


def _created(template: dict[str, Any], section: str, overrides: dict[str, str]) -> dict[str, Any]:
    return created_items(template, section, _values(template, overrides))


def _types(resources: dict[str, Any]) -> set[str]:
    return {resource["Type"] for resource in resources.values()}


def _failed_rules(template: dict[str, Any], overrides: dict[str, str]) -> list[str]:
    return failed_rules(template, _values(template, overrides))


def test_the_edge_is_off_by_default_and_creates_nothing() -> None:
    template = load_template()

    assert template["Parameters"]["EnableEdge"]["Default"] == "false"
    assert not EDGE_TYPES & _types(_created(template, "Resources", {}))
    assert not {"EdgeUrl", "EdgeDistributionId"} & set(_created(template, "Outputs", {}))


def test_the_edge_without_a_custom_domain_serves_on_cloudfronts_own_domain() -> None:
    # GIVEN EnableEdge=true and no custom domain
    template = load_template()
    created = _created(template, "Resources", EDGE)

    # THEN every edge resource exists, and neither a custom domain nor a DNS record
    assert _types(created) >= EDGE_TYPES
    assert not {"AWS::ApiGatewayV2::DomainName", "AWS::Route53::RecordSet"} & _types(created)
    config = created["EdgeDistribution"]["Properties"]["DistributionConfig"]
    conditions = condition_values(template, _values(template, EDGE))
    assert conditions["CustomDomainOnEdge"] is False  # so: no Aliases, CloudFront's default certificate
    assert config["Aliases"]["Fn::If"][0] == "CustomDomainOnEdge"
    assert config["ViewerCertificate"]["Fn::If"][2] == {"CloudFrontDefaultCertificate": True}
    assert set(_created(template, "Outputs", EDGE)) >= {"EdgeUrl", "EdgeDistributionId"}
    assert _failed_rules(template, EDGE) == []


def test_the_edge_takes_the_custom_domain_from_api_gateway_and_points_dns_at_cloudfront() -> None:
    # GIVEN the edge with a custom domain and a hosted zone
    template = load_template()
    created = _created(template, "Resources", EDGE_ON_DOMAIN)

    # THEN no API Gateway domain or mapping: the domain is the distribution's, with the certificate
    assert "CustomDomain" not in created
    assert "CustomDomainApiMapping" not in created
    config = created["EdgeDistribution"]["Properties"]["DistributionConfig"]
    condition, on_domain, _ = config["ViewerCertificate"]["Fn::If"]
    assert condition == "CustomDomainOnEdge"
    assert on_domain["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert on_domain["SslSupportMethod"] == "sni-only"
    # AND the A and AAAA records alias the distribution, not the regional endpoint
    records = {
        r["Properties"]["Type"]: r["Properties"] for r in created.values() if r["Type"] == "AWS::Route53::RecordSet"
    }
    assert set(records) == {"A", "AAAA"}
    for record in records.values():
        assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": ["EdgeDistribution", "DomainName"]}
        assert record["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"  # CloudFront's
    outputs = _created(template, "Outputs", EDGE_ON_DOMAIN)
    assert "CustomDomainUrl" in outputs
    assert "CustomDomainTarget" not in outputs
    assert _failed_rules(template, EDGE_ON_DOMAIN) == []


def test_a_custom_domain_without_the_edge_stays_on_api_gateway() -> None:
    template = load_template()
    created = _created(template, "Resources", CUSTOM_DOMAIN_PARAMETERS)

    assert {"CustomDomain", "CustomDomainApiMapping", "CustomDomainRecordIpv4", "CustomDomainRecordIpv6"} <= set(
        created
    )
    assert not EDGE_TYPES & _types(created)


def test_redirects_and_the_api_are_never_cached_and_get_what_their_handlers_read() -> None:
    config = load_template()["Resources"]["EdgeDistribution"]["Properties"]["DistributionConfig"]
    redirects = config["DefaultCacheBehavior"]
    [api] = config["CacheBehaviors"]

    # Redirects: every click reaches the function, whose Cache-Control reaches the browser unchanged
    assert redirects["CachePolicyId"] == CACHING_DISABLED
    assert redirects["AllowedMethods"] == ["GET", "HEAD"]
    policy = load_template()["Resources"]["EdgeRedirectRequests"]["Properties"]["OriginRequestPolicyConfig"]
    headers = {h.lower() for h in policy["HeadersConfig"]["Headers"]}
    assert headers == {
        "accept",
        "referer",
        "user-agent",
        "x-viewer-host",
        "cloudfront-viewer-country",
        "cloudfront-viewer-address",
    }
    assert "host" not in headers  # an execute-api origin answers only to its own name
    assert policy["QueryStringsConfig"]["QueryStringBehavior"] == "all"  # forwarded to the destination
    assert policy["CookiesConfig"]["CookieBehavior"] == "none"
    # The API: every method, every viewer header but Host (Authorization, X-API-Key, Idempotency-Key, If-Match)
    assert api["PathPattern"] == "/v1/*"
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    for behavior in (redirects, api):
        [association] = behavior["FunctionAssociations"]
        assert association["EventType"] == "viewer-request"
        assert association["FunctionARN"] == {"Fn::GetAtt": ["EdgeViewerHost", "FunctionMetadata.FunctionARN"]}


def test_every_route_of_the_template_is_reachable_through_the_edge_with_what_it_reads() -> None:
    """A route added later must pass the edge too: /v1/* gets every method and header; anything else is the
    redirects' behaviour, which allows GET and HEAD and forwards no Authorization, so it must be anonymous."""
    template = load_template()
    config = template["Resources"]["EdgeDistribution"]["Properties"]["DistributionConfig"]
    [api] = config["CacheBehaviors"]

    for route in routes(template):
        if route.path.startswith("/v1/"):
            assert route.method in api["AllowedMethods"], route
        else:
            assert route.method in config["DefaultCacheBehavior"]["AllowedMethods"], route
            assert route.authorizer is None, f"{route}: give it a cache behaviour that forwards its credentials"


def test_the_viewer_request_function_copies_the_host_into_the_header_the_functions_read() -> None:
    from shortlinks.web.http import VIEWER_HOST_HEADER

    code = load_template()["Resources"]["EdgeViewerHost"]["Properties"]["FunctionCode"]

    assert f"request.headers['{VIEWER_HOST_HEADER}'] = {{ value: request.headers.host.value }}" in code


def test_hsts_at_the_edge_follows_hsts_max_age_and_never_covers_subdomains() -> None:
    template = load_template()
    security = template["Resources"]["EdgeResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    condition, hsts, _ = security["SecurityHeadersConfig"]["StrictTransportSecurity"]["Fn::If"]

    assert condition == "EdgeSendsHsts"
    assert hsts == {
        "AccessControlMaxAgeSec": {"Ref": "HstsMaxAge"},
        "IncludeSubdomains": False,
        "Preload": False,
        "Override": False,
    }
    assert condition_values(template, _values(template, EDGE))["EdgeSendsHsts"] is True
    assert condition_values(template, _values(template, EDGE | {"HstsMaxAge": "0"}))["EdgeSendsHsts"] is False


def test_the_web_acl_limits_each_ip_and_runs_aws_rule_sets_counting_what_the_api_needs() -> None:
    acl = load_template()["Resources"]["EdgeWebAcl"]["Properties"]
    rate, common, bad_inputs = sorted(acl["Rules"], key=lambda rule: rule["Priority"])

    assert acl["Scope"] == "CLOUDFRONT"
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": {"Ref": "EdgeRateLimit"},
        "EvaluationWindowSec": 300,
        "AggregateKeyType": "IP",
    }
    response = rate["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"])["error"]["code"] == "rate_limited"  # the API's error shape
    group = common["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    # Bulk creates exceed its 8 KB body limit; destinations and expanded URLs are URLs by design
    counted = {o["Name"] for o in group["RuleActionOverrides"] if o["ActionToUse"] == {"Count": {}}}
    assert counted == {"SizeRestrictions_BODY", "GenericRFI_BODY", "GenericRFI_QUERYARGUMENTS"}
    known = bad_inputs["Statement"]["ManagedRuleGroupStatement"]
    assert (known["VendorName"], known["Name"]) == ("AWS", "AWSManagedRulesKnownBadInputsRuleSet")  # Log4j's lookups
    assert "RuleActionOverrides" not in known
    for visibility in [acl["VisibilityConfig"]] + [rule["VisibilityConfig"] for rule in acl["Rules"]]:
        assert visibility["SampledRequestsEnabled"] is True
        assert visibility["CloudWatchMetricsEnabled"] is True


def test_outside_us_east_1_the_edge_needs_a_web_acl_made_there() -> None:
    # GIVEN a stack in eu-west-1: WAF keeps CloudFront's web ACLs in us-east-1 only
    template = load_template()
    elsewhere = EDGE | OUTSIDE_US_EAST_1

    # THEN it creates none, and refuses to deploy the edge without one rather than without WAF
    assert "EdgeWebAcl" not in _created(template, "Resources", elsewhere)
    assert _failed_rules(template, elsewhere) == ["EdgeOutsideUsEast1NeedsWebAcl"]
    # WHEN one made in us-east-1 is given, THEN the distribution uses it
    given = elsewhere | {"EdgeWebAclArn": GIVEN_ACL}
    assert _failed_rules(template, given) == []
    assert condition_values(template, _values(template, given))["UsesGivenEdgeWebAcl"] is True
    # AND a given web ACL without the edge is refused
    assert _failed_rules(template, {"EdgeWebAclArn": GIVEN_ACL}) == ["EdgeWebAclNeedsEdge"]


@pytest.mark.parametrize(("overrides", "behind_edge"), [({}, "false"), (EDGE, "true")])
def test_the_functions_know_whether_they_are_behind_the_edge(overrides: dict[str, str], behind_edge: str) -> None:
    template = load_template()

    for spec in function_specs(template).values():
        environment = resolve_environment(spec.environment, table_name="t", template=template, parameters=overrides)
        assert environment["BEHIND_EDGE"] == behind_edge, spec.function


def test_the_edge_variant_turns_the_edge_on_over_the_custom_domain_variant() -> None:
    template = load_template()
    conditions = condition_values(template, parameter_values(template, EDGE_PARAMETERS))

    assert {name for name, holds in conditions.items() if not holds} == {
        "IsProd",
        "CustomDomainOnApi",
        "ManagesApiDns",
        "UsesGivenEdgeWebAcl",
    }


def test_the_web_acl_logs_only_what_it_blocked_or_counted_without_credentials() -> None:
    resources = load_template()["Resources"]
    logging = resources["EdgeWebAclLogging"]["Properties"]

    assert resources["EdgeWebAclLogs"]["Properties"]["LogGroupName"] == {"Fn::Sub": "aws-waf-logs-${AWS::StackName}"}
    # WAF takes the group's ARN without the ":*" that Fn::GetAtt's Arn ends with
    [destination] = logging["LogDestinationConfigs"]
    assert destination["Fn::Sub"].endswith(":log-group:${EdgeWebAclLogs}")
    assert {field["SingleHeader"]["Name"] for field in logging["RedactedFields"]} == {"authorization", "x-api-key"}
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    [kept] = logging["LoggingFilter"]["Filters"]
    assert kept["Behavior"] == "KEEP"
    assert {c["ActionCondition"]["Action"] for c in kept["Conditions"]} == {"BLOCK", "COUNT"}
