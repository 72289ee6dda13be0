"""What template.yaml keeps when the stack goes or a resource is replaced: the table is protected and retained, the
click records are retained, and every other stateful resource says what happens to it instead of defaulting."""

from __future__ import annotations

from local.template import load_template

STATEFUL = ("AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::SQS::Queue")
RETAINED = {"LinksTable", "RedirectFunctionLogs"}  # the data, and the raw data of the statistics


def test_the_table_refuses_deletion_and_outlives_the_stack() -> None:
    table = load_template()["Resources"]["LinksTable"]

    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_every_stateful_resource_says_what_happens_to_it_and_only_the_data_is_retained_with_the_stack() -> None:
    resources = load_template()["Resources"]
    stateful = {name: resource for name, resource in resources.items() if resource["Type"] in STATEFUL}

    for name, resource in stateful.items():
        assert {"DeletionPolicy", "UpdateReplacePolicy"} <= set(resource), name
    assert {name for name, resource in stateful.items() if resource["DeletionPolicy"] == "Retain"} == RETAINED
