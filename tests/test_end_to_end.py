"""The whole system over real sockets: reference GCs and PS clients drive
both sites, as `make demo` does, and the sites end identical."""

from __future__ import annotations

import json

from tools.cluster import Cluster
from tools.demo import run
from tools.report import Report, json_lines


def test_sample_requests_flow_through_both_sites_and_replicate(tmp_path):
    cluster = Cluster(tmp_path, overrides={"ga_heartbeat_interval_ms": 200})
    try:
        run(cluster, tmp_path, settle_s=30)
    finally:
        codes = cluster.stop_all()
    report = Report(tmp_path)
    report.add_exit_codes(codes)
    report.add_identical(cluster.files_identical())

    text = report.render()

    assert report.ok, text
    assert "AR (renewals): RENOVAR x" in text
    assert "AD (returns): DEVOLVER x" in text
    at_a = {
        (row["codigo"], row["userId"]): (row["dueDate"], row["renovaciones"])
        for row in json.loads((tmp_path / "siteA" / "loans.json").read_text())
    }
    renewed_at_b = [
        (detail["libroCodigo"], detail["userId"], detail["dueDate"])
        for row in json_lines(tmp_path / "logs" / "node-B.log")
        if row.get("proc") == "GA"
        and row.get("op") == "RENOVAR"
        and isinstance(detail := row.get("detail"), dict)
        and detail.get("ok")
        and detail.get("origin") == "B"
    ]
    assert renewed_at_b
    assert any(at_a[(code, user)][0] == due for code, user, due in renewed_at_b)
