"""Rules.recipe() and Rules.from_recipe: the texts a rule set is built from,
which build the same rules in another process (how landwatch.spark ships
rules to executors)."""

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import landwatch
from conftest import CORPUS, CORRELATION, EXAMPLES

SIGMA = """\
title: Whoami
id: 0f1c0a52-1c4e-4a39-9a0e-0a5f4a1e9b77
status: test
level: low
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
---
title: Not loadable
id: 0f1c0a52-1c4e-4a39-9a0e-0a5f4a1e9b78
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|nonsense: x
  condition: selection
"""


def detections(rules: landwatch.Rules) -> List[Tuple[str, int]]:
    scanner = rules.scanner(zones=EXAMPLES / "zones.toml")
    found = list(scanner.scan_jsonl(EXAMPLES / "msp-credentials.jsonl")) + scanner.flush()
    return [(d.rule, d.event) for d in found]


def same(a: landwatch.Rules, b: landwatch.Rules) -> None:
    assert a.ids() == b.ids()
    assert [a.info(i) for i in a.ids()] == [b.info(i) for i in b.ids()]
    assert (a.correlations, a.sigma_loaded, a.rejected) == (b.correlations, b.sigma_loaded, b.rejected)
    assert a.recipe() == b.recipe() and a.digest == b.digest


def test_every_way_of_building_rules_gives_its_recipe_back(tmp_path: Path) -> None:
    (tmp_path / "mine.lw").write_text(CORRELATION, encoding="utf-8")
    (tmp_path / "sigma.yml").write_text(SIGMA, encoding="utf-8")
    built = [
        landwatch.builtin(),
        landwatch.compile(CORRELATION, name="t.lw"),
        landwatch.load(paths=tmp_path, sigma=tmp_path / "sigma.yml", normalize=True),
    ]
    for rules in built:
        again = landwatch.Rules.from_recipe(rules.recipe())
        same(rules, again)
        assert landwatch.Rules.from_recipe(rules.recipe().encode()).digest == rules.digest
    loaded = built[2]
    recipe = json.loads(loaded.recipe())
    assert recipe["landwatch"] == landwatch.__version__
    assert recipe["sigma"]["normalize"] is True
    # Load order: Sigma, then the pack, then rule files; texts as read.
    assert [p["kind"] for p in recipe["parts"]] == ["sigma", "builtin", "lw"]
    assert recipe["parts"][2]["text"] == CORRELATION
    assert recipe["parts"][0]["name"] == str(tmp_path / "sigma.yml")
    # The rejected Sigma document is rejected again, not fatal.
    assert len(loaded.rejected) == 1 and loaded.sigma_loaded == 1
    # The recipe is what was read: the files may go away.
    (tmp_path / "mine.lw").unlink()
    same(loaded, landwatch.Rules.from_recipe(loaded.recipe()))


def test_the_digest_names_the_rule_texts() -> None:
    a = landwatch.compile(CORRELATION, name="t.lw")
    assert a.digest == landwatch.compile(CORRELATION, name="t.lw").digest
    assert len(a.digest) == 64 and int(a.digest, 16) >= 0
    assert a.digest != landwatch.compile(CORRELATION, name="u.lw").digest
    assert a.digest != landwatch.compile(CORRELATION + "\n", name="t.lw").digest
    assert a.digest != landwatch.builtin().digest


def test_rebuilt_rules_detect_the_same() -> None:
    rules = landwatch.builtin()
    assert detections(landwatch.Rules.from_recipe(rules.recipe())) == detections(rules)


def test_a_recipe_builds_in_another_process() -> None:
    rules = landwatch.builtin()
    code = (
        "import sys, landwatch\n"
        "r = landwatch.Rules.from_recipe(sys.stdin.read())\n"
        "print(r.digest, len(r))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=rules.recipe(), capture_output=True, text=True, check=True)
    assert out.stdout.split() == [rules.digest, str(len(rules))]


def test_bad_recipes_are_clear_errors() -> None:
    text = landwatch.builtin().recipe()
    with pytest.raises(ValueError, match="same version"):
        landwatch.Rules.from_recipe(text.replace(landwatch.__version__, "0.0.0-elsewhere"))
    with pytest.raises(ValueError, match="format 7"):
        landwatch.Rules.from_recipe(text.replace('"format":1', '"format":7'))
    for bad in ("", "{}", "[1, 2]", text[: len(text) // 2], "not json"):
        with pytest.raises(ValueError, match="recipe"):
            landwatch.Rules.from_recipe(bad)
    with pytest.raises(TypeError, match="recipe"):
        landwatch.Rules.from_recipe(42)  # type: ignore[arg-type]
    broken = json.loads(text)
    broken["parts"] = [{"kind": "lw", "name": "bad.lw", "text": "rule x {"}]
    with pytest.raises(landwatch.RuleError) as caught:
        landwatch.Rules.from_recipe(json.dumps(broken, separators=(",", ":")))
    assert caught.value.file == "bad.lw"


def test_rules_themselves_do_not_pickle() -> None:
    # What travels is the recipe, text: never the compiled native object.
    with pytest.raises(TypeError):
        pickle.dumps(landwatch.builtin())


def test_the_sigma_corpus_round_trips() -> None:
    rules_dir = CORPUS / "sigma" / "rules" / "windows" / "process_creation"
    if not rules_dir.is_dir():
        pytest.skip(f"no Sigma corpus at {rules_dir}")
    rules = landwatch.load(sigma=rules_dir)
    same(rules, landwatch.Rules.from_recipe(rules.recipe()))
