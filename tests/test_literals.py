"""The crisis patterns' literal prefilter: the needles read off a pattern occur in every match of
it (over every shipped pattern and our cases), and the index skips exactly the sets none of whose
needles occur."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edge_counsel.safety.literals import LiteralIndex, required
from edge_counsel.safety.risk import RiskDetector, _expand

DATA = Path(__file__).resolve().parent / "data"
RISK_DATA = Path(__file__).resolve().parents[1] / "edge_counsel" / "data" / "risk"


@pytest.mark.parametrize("pattern, needles", [
    ("kill myself", {"kill myself"}),
    ("kill (?:my|your)self", {"kill myself", "kill yourself"}),
    ("a?b", {"b"}),  # an optional part is not required
    ("[0o]d", {"0d", "od"}),
    (r"(?<![a-z])(?:i|we) (?:jumped|leapt)(?![a-z])", {"i jumped", "i leapt", "we jumped", "we leapt"}),
    (r"\bpills?\w+taken", {"taken"}),  # the longer of two runs, however the gap is filled
    ("(?:x|y)+z", {"z"}),
    ("(?:rope|noose)+", {"rope", "noose"}),  # a repeat that must occur once
    ("跳(?:楼|桥)", {"跳楼", "跳桥"}),
    ("(?:suicide|死)", {"suicide", "死"}),
    ("k(?i:ill)", {"k"}),  # a case-insensitive part gives nothing; the rest still counts
])
def test_needles_of_a_pattern(pattern, needles):
    assert required(pattern) == needles


@pytest.mark.parametrize("pattern", [
    r"\w+",  # no literal at all
    "a|",  # an alternative that matches the empty string
    "(?:abc)?",
    "(?i)kill",  # case-insensitive: the text's case is unknown
    "(?=kill)",  # a lookahead consumes nothing and may look beyond the match
])
def test_patterns_without_needles(pattern):
    assert required(pattern) is None


def _texts() -> list[str]:
    texts = []
    for path in (DATA / "crisis_cases.jsonl", DATA / "blind" / "crisis_blind_v3.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            texts += case.get("turns") or [m["content"] for m in case.get("messages", [])]
    return texts


def test_every_match_of_a_shipped_pattern_contains_one_of_its_needles():
    detector = RiskDetector(classifier=False)
    texts = [detector.normalize(t) for t in _texts()]
    patterns = [_expand(p, detector._grammar.macros)
                for name in ("lexicon_en.json", "lexicon_zh.json")
                for kind in json.loads((RISK_DATA / name).read_text(encoding="utf-8"))["kinds"].values()
                for p in kind.get("self", []) + kind.get("bare", [])]
    matched = 0
    for pattern in patterns:
        needles, regex = required(pattern), re.compile(pattern)
        assert needles, f"no needles read off {pattern[:80]!r}: it would be searched in every text"
        for text in texts:
            if regex.search(text):
                matched += 1
                assert any(n in text for n in needles), (pattern[:80], text)
    assert matched > 1000  # the check saw many real matches, not none


def test_index_names_the_sets_whose_needles_occur():
    index = LiteralIndex([("method", frozenset({"overdose", "跳楼"})), ("time", frozenset({"tonight"})),
                          ("anything", None)])
    assert index.may_match("thinking about an overdose tonight") == {"method", "time", "anything"}
    assert index.may_match("我想跳楼") == {"method", "anything"}
    assert index.may_match("overdue homework tonite") == {"anything"}
    assert index.may_match("") == {"anything"}
