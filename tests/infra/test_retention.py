"""Everything personal has a retention period (docs/privacy.md): the table's TTL, the
bucket's lifecycle, both set by parameters of the template."""

from typing import Any

from palabre.core.retention import TTL_ATTRIBUTE
from palabre_cli.template import load_source

PERSONAL_PREFIXES = {"roster/", "calendar/", "digests/", "exports/"}
INBOUND = "inbound/"
"""replies received by email (InboundDomain): deleted once handled; one whose handling
failed is kept as long as its parked event (the failure queue's 14 days), no longer"""
DOWNLOADS = "downloads/"
"""the animators' exports, built on a click and downloaded at once (admin/exports.py)"""


def test_the_table_expires_items_on_the_attribute_the_stores_write() -> None:
    table = load_source()["Resources"]["PalabreTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def test_every_function_reads_the_retention_from_its_parameter() -> None:
    template = load_source()
    assert template["Parameters"]["RetentionMonths"]["Default"] == 24
    environment = template["Globals"]["Function"]["Environment"]["Variables"]
    assert environment["RETENTION_MONTHS"] == {"Ref": "RetentionMonths"}


def test_each_personal_prefix_of_the_bucket_expires_after_the_files_retention() -> None:
    template = load_source()
    assert template["Parameters"]["FileRetentionDays"]["Default"] == 365
    bucket = template["Resources"]["UploadsBucket"]["Properties"]
    rules: list[dict[str, Any]] = bucket["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if r.get("ExpirationInDays")}
    assert expiring.pop(INBOUND) == 14
    assert expiring.pop(DOWNLOADS) == 1
    for prefix in (INBOUND, DOWNLOADS):
        [rule] = [r for r in rules if r.get("Prefix") == prefix]
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    queue = template["Resources"]["InboundFailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert set(expiring) == PERSONAL_PREFIXES
    assert set(map(str, expiring.values())) == {str({"Ref": "FileRetentionDays"})}
    assert all(r["Status"] == "Enabled" for r in rules)
