"""Rules: compile, builtin, load, and what a rule set tells about itself."""

import pickle
from pathlib import Path

import pytest

import landwatch
from conftest import CORPUS, CORRELATION

RULE = r"""
rule my.whoami {
    title: "whoami"
    level: low
    tags: attack.t1033, attack.discovery
    on: process
    when: Image endswith '\whoami.exe'
}
"""


def test_compile_gives_rules_with_their_metadata() -> None:
    rules = landwatch.compile(RULE + CORRELATION, name="mine.lw")
    assert len(rules) == 2
    assert rules.ids() == ["my.whoami", "t.account_three_hosts"]
    assert "my.whoami" in rules and "nope" not in rules
    assert rules.correlations == 1
    info = rules.info("my.whoami")
    assert info["id"] == "my.whoami"
    assert info["title"] == "whoami"
    assert info["level"] == "low"
    assert info["tags"] == ["attack.t1033", "attack.discovery"]
    assert info["kind"] == "stateless"
    assert info["description"] is None
    assert info["references"] == []
    assert info["reports"] is True
    assert info["on"] == "process"
    assert (info["file"], info["line"]) == ("mine.lw", 2)
    assert rules.info("t.account_three_hosts")["kind"] == "correlation"
    with pytest.raises(KeyError):
        rules.info("nope")


def test_a_syntax_error_has_its_position_and_rule() -> None:
    with pytest.raises(landwatch.RuleError) as caught:
        landwatch.compile('rule bad.one {\n    title: "x"\n    level: severe\n}\n', name="bad.lw")
    e = caught.value
    assert isinstance(e, landwatch.LandwatchError)
    assert (e.file, e.line, e.rule) == ("bad.lw", 3, "bad.one")
    assert e.column is not None and e.column > 1
    assert e.message and "severe" in e.message
    assert e.errors[0]["line"] == 3
    # str() renders the source line and a caret under the spot.
    assert "bad.lw:3:" in str(e) and "^" in str(e)


def test_every_error_is_listed() -> None:
    source = (
        'rule a.one { title: "a" level: high on: process when: Image endswith }\n'
        'rule a.two { title: "b" level: high on: process when: Nope(Image) }\n'
    )
    with pytest.raises(landwatch.RuleError) as caught:
        landwatch.compile(source, name="two.lw")
    errors = caught.value.errors
    assert len(errors) >= 2
    assert {e["line"] for e in errors} >= {1, 2}
    assert all(set(e) == {"message", "file", "line", "column", "rule"} for e in errors)


def test_invalid_rules_of_other_kinds() -> None:
    for source in ["", "rule", "rule x {", "garbage ] here", "\x00\x01"]:
        try:
            rules = landwatch.compile(source)
        except landwatch.RuleError as e:
            assert e.errors
        else:
            assert len(rules) == 0
    with pytest.raises(TypeError):
        landwatch.compile(b"rule x {}")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        landwatch.compile(42)  # type: ignore[arg-type]


def test_the_builtin_pack(builtin: landwatch.Rules) -> None:
    ids = builtin.ids()
    assert len(ids) == len(builtin) > 50
    assert len(set(ids)) == len(ids)
    assert builtin.correlations >= 18
    kinds = {builtin.info(i)["kind"] for i in ids}
    assert kinds == {"stateless", "correlation"}
    assert all(builtin.info(i)["level"] in {"informational", "low", "medium", "high", "critical"} for i in ids)
    assert builtin.rejected == []


def test_load_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.lw").write_text(RULE, encoding="utf-8")
    (tmp_path / "a" / "skip.txt").write_text("not rules", encoding="utf-8")
    (tmp_path / "two.lw").write_text(CORRELATION, encoding="utf-8")
    rules = landwatch.load(paths=[tmp_path / "a", str(tmp_path / "two.lw")], builtin=False)
    assert rules.ids() == ["my.whoami", "t.account_three_hosts"]
    assert rules.info("my.whoami")["file"].endswith("one.lw")
    with_pack = landwatch.load(paths=tmp_path / "a")
    assert len(with_pack) == len(landwatch.builtin()) + 1
    assert len(landwatch.load()) == len(landwatch.builtin())


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        landwatch.load(paths=[tmp_path / "missing.lw"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no \\*.lw"):
        landwatch.load(paths=[tmp_path / "empty"])
    bad = tmp_path / "bad.lw"
    bad.write_text('rule x.y { title: "t" level: loud }\n', encoding="utf-8")
    with pytest.raises(landwatch.RuleError) as caught:
        landwatch.load(paths=[bad])
    assert caught.value.file == str(bad)
    latin = tmp_path / "latin.lw"
    latin.write_bytes(b"# caf\xe9\nrule x.y {}\n")
    with pytest.raises(landwatch.RuleError, match="not UTF-8") as caught:
        landwatch.load(paths=[latin])
    assert (caught.value.file, caught.value.line) == (str(latin), 1)
    with pytest.raises(TypeError, match="paths"):
        landwatch.load(paths=[1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sigma"):
        landwatch.load(sigma=3.5)  # type: ignore[arg-type]


SIGMA_OK = """
title: Whoami run
id: 0d9a1bd4-2cf4-4ec8-9bb5-5df0f1b5e0a1
status: test
level: medium
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
"""

SIGMA_REJECTED = """
title: Uses a keyword search
id: 5b0ad6b0-7b2f-4a55-b6ae-0c9b1f8d2f11
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|nosuchmodifier: 'x'
    condition: selection
"""


def test_load_sigma_with_rejections(tmp_path: Path) -> None:
    (tmp_path / "ok.yml").write_text(SIGMA_OK, encoding="utf-8")
    (tmp_path / "rejected.yml").write_text(SIGMA_REJECTED, encoding="utf-8")
    rules = landwatch.load(sigma=[tmp_path], builtin=False)
    assert rules.sigma_loaded == 1
    assert len(rules) == 1
    assert len(rules.rejected) == 1
    r = rules.rejected[0]
    assert r["file"].endswith("rejected.yml") and r["line"] >= 1 and r["reason"]
    assert "rejected" in repr(rules)
    with pytest.raises(landwatch.RuleError) as caught:
        landwatch.load(sigma=[tmp_path], builtin=False, strict=True)
    assert caught.value.file is not None and caught.value.file.endswith("rejected.yml")
    scanner = rules.scanner()
    event = {"EventID": 1, "Image": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami"}
    assert len(scanner.scan(event)) == 1
    normalized = landwatch.load(sigma=[tmp_path / "ok.yml"], builtin=False, normalize=True)
    assert len(normalized) == 1


def test_load_the_sigma_corpus_releases_a_rule_set() -> None:
    windows = CORPUS / "sigma" / "rules" / "windows" / "process_creation"
    if not windows.is_dir():
        pytest.skip(f"no Sigma corpus at {windows}")
    rules = landwatch.load(sigma=[windows], builtin=False)
    assert rules.sigma_loaded > 100
    assert len(rules) == rules.sigma_loaded


def test_repr_and_html(builtin: landwatch.Rules) -> None:
    assert repr(builtin).startswith("<Rules ") and str(len(builtin)) in repr(builtin)
    html = builtin._repr_html_()
    assert html.count("<tr>") == len(builtin) + 1
    assert "background:" in html  # levels coloured
    tricky = landwatch.compile('rule x.y { title: "<b>&</b>" level: low on: process when: Image == "a" }')
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in tricky._repr_html_()


def test_rules_cannot_be_pickled_or_mutated(builtin: landwatch.Rules) -> None:
    with pytest.raises(Exception):
        pickle.dumps(builtin)
    with pytest.raises(AttributeError):
        builtin.correlations = 3  # type: ignore[misc]
