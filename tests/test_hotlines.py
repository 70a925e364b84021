"""The hotline directory, the scripted crisis replies, and the shape of the crisis hold-out set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edge_counsel.safety import crisis_replies
from edge_counsel.safety.crisis_replies import SEVERITY, crisis_reply, message
from edge_counsel.errors import EdgeCounselError
from edge_counsel.safety.hotlines import (
    FALLBACK,
    KINDS,
    HotlineConfigError,
    HotlineDirectory,
    language_for_region,
    region_from_locale,
)

HOLDOUT = Path(__file__).parent / "data" / "crisis_holdout.jsonl"


@pytest.fixture(scope="module")
def directory() -> HotlineDirectory:
    return HotlineDirectory.load()


def numbers(directory: HotlineDirectory, region: str) -> set[str]:
    return {line.number for line in directory.for_region(region).lines}


def write_override(tmp_path: Path, regions: dict) -> Path:
    path = tmp_path / "school_hotlines.json"
    path.write_text(json.dumps({"regions": regions}, ensure_ascii=False), encoding="utf-8")
    return path


def line(number: str, kind: str = "crisis", **extra) -> dict:
    return {"name": {"en": f"Line {number}", "zh": f"热线{number}"}, "number": number, "kind": kind,
            "hours": {"en": "24 hours", "zh": "24小时"}, "verified": True, **extra}


# --- the packaged directory --------------------------------------------------------------------

def test_every_region_has_lines_with_both_languages(directory):
    for region in directory.regions():
        for lang in ("en", "zh"):
            lines = directory.for_region(region, lang)
            assert lines.region == region and lines.region_name and lines.lines
            for hotline in lines.lines:
                assert hotline.name and hotline.number and hotline.hours
                assert hotline.kind in KINDS


def test_unverified_lines_say_why(directory):
    for region in directory.regions():
        for hotline in directory.for_region(region).lines:
            if not hotline.verified:
                assert hotline.note, f"{region} {hotline.number} is unverified without a note"


def test_china_lines(directory):
    assert {"12356", "110", "120"} <= numbers(directory, "CN")
    unverified = {h.number for h in directory.for_region("CN").lines if not h.verified}
    assert {"010-82951332", "400-161-9995"} <= unverified
    assert directory.for_region("CN").lines[0].number == "12356"


def test_us_and_uk_and_ireland_lines(directory):
    assert {"988", "911"} <= numbers(directory, "US")
    assert {"116 123", "999"} <= numbers(directory, "GB")
    assert "116 123" in numbers(directory, "IE")


def test_chinese_text_is_chosen_for_zh(directory):
    cn = directory.for_region("CN", "zh")
    assert cn.region_name == "中国大陆"
    assert "心理援助" in cn.lines[0].name
    assert directory.for_region("CN", "en").lines[0].name.startswith("National")


@pytest.mark.parametrize("region", [None, "", "XX", "FR", "INTL"])
def test_unknown_region_falls_back_to_intl(directory, region):
    fallback = directory.for_region(region, "en")
    assert fallback.region == FALLBACK
    text = " ".join(f"{h.name} {h.number} {h.note}" for h in fallback.lines)
    assert "findahelpline.com" in text and "emergency" in text.lower()


def test_region_codes_are_case_insensitive(directory):
    assert directory.for_region("us").region == "US"
    assert directory.for_region(" gb ").region == "GB"


# --- institution overrides ---------------------------------------------------------------------

def test_override_adds_a_line_first_and_keeps_the_rest(tmp_path):
    path = write_override(tmp_path, {"CN": {"lines": [line("0571-0000000")]}})
    cn = HotlineDirectory.load(path).for_region("CN")
    assert cn.lines[0].number == "0571-0000000"
    assert {"12356", "110", "120"} <= {h.number for h in cn.lines}
    assert cn.region_name == "Mainland China"


def test_override_replaces_a_line_with_the_same_number(tmp_path):
    path = write_override(tmp_path, {"GB": {"lines": [line("116123", note="Our school's preferred line")]}})
    gb = HotlineDirectory.load(path).for_region("GB")
    samaritans = [h for h in gb.lines if h.number.replace(" ", "") == "116123"]
    assert len(samaritans) == 1 and samaritans[0].note == "Our school's preferred line"


def test_override_can_replace_a_whole_region_and_add_one(tmp_path):
    path = write_override(tmp_path, {
        "US": {"replace": True, "lines": [line("988"), line("911", "emergency")]},
        "DE": {"name": {"en": "Germany", "zh": "德国"}, "lines": [line("112", "emergency")]},
    })
    loaded = HotlineDirectory.load(path)
    assert numbers(loaded, "US") == {"988", "911"}
    assert loaded.for_region("de", "zh").region_name == "德国"
    assert "DE" in loaded.regions() and "CN" in loaded.regions()


@pytest.mark.parametrize("content, fix", [
    ("{not json", "JSON"),
    ('{"lines": []}', '"regions"'),
    ('{"regions": {"CN": {"lines": []}}}', '"lines"'),
    ('{"regions": {"CN": {"lines": [{"number": "1"}]}}}', "name, kind, hours, verified"),
    ('{"regions": {"CN": {"lines": [{"name": "x", "number": "1", "kind": "phone", '
     '"hours": "24h", "verified": true}]}}}', "crisis, emergency, text"),
    ('{"regions": {"CN": {"lines": [{"name": "x", "number": "1", "kind": "crisis", '
     '"hours": "24h", "verified": "yes"}]}}}', "true or false"),
    ('{"regions": {"CN": {"lines": [{"name": {"zh": "x"}, "number": "1", "kind": "crisis", '
     '"hours": "24h", "verified": true}]}}}', '"en"'),
])
def test_bad_override_names_the_file_and_the_fix(tmp_path, content, fix):
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(HotlineConfigError) as caught:
        HotlineDirectory.load(path)
    assert str(path) in str(caught.value) and fix in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, EdgeCounselError)


def test_missing_override_file_is_a_clear_error(tmp_path):
    with pytest.raises(HotlineConfigError, match="Cannot read"):
        HotlineDirectory.load(tmp_path / "absent.json")


# --- region from locale ------------------------------------------------------------------------

@pytest.mark.parametrize("locale_name, region", [
    ("zh_CN", "CN"), ("zh_CN.UTF-8", "CN"), ("en_US", "US"), ("en-US", "US"), ("en_GB", "GB"),
    ("en_IE.utf8", "IE"), ("zh_TW", "TW"), ("zh_Hant_TW", "TW"), ("zh_HK", "HK"), ("en_AU", "AU"),
    ("fr_CA", "CA"), ("de_DE", "INTL"), ("C", "INTL"), ("POSIX", "INTL"), ("", "INTL"), ("zh", "INTL"),
    ("garbage", "INTL"),
])
def test_region_from_locale(locale_name, region):
    assert region_from_locale(locale_name) == region


def test_region_from_locale_only_answers_known_regions():
    assert region_from_locale("zh_TW", known=["CN", "US"]) == "INTL"
    assert region_from_locale("zh_CN", known=["CN", "US"]) == "CN"


@pytest.mark.parametrize("env, region", [
    ({"LANG": "zh_CN.UTF-8"}, "CN"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "GB"),
    ({}, "INTL"),
])
def test_region_from_locale_reads_the_environment(monkeypatch, env, region):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert region_from_locale() == region


@pytest.mark.parametrize("chosen, locale_name, in_use", [
    ("ie", "en_US", "IE"),  # the chosen region wins over the locale
    ("INTL", "zh_CN", "INTL"),  # so does choosing the international lines
    (None, "en_US.UTF-8", "US"),
    ("XX", "en_GB", "GB"),  # a region the directory lacks: the locale's
    (None, "fr_FR", None),  # nothing known: None, and the writer's language picks
])
def test_region_in_use(directory, chosen, locale_name, in_use):
    assert directory.region_in_use(chosen, locale_name) == in_use


@pytest.mark.parametrize("region, lang", [("CN", "zh"), ("tw", "zh"), ("HK", "zh"), ("US", "en"), (None, "en")])
def test_language_for_region(region, lang):
    assert language_for_region(region) == lang


# --- scripted crisis replies -------------------------------------------------------------------

# English words match at a word start ("pill" catches "pills", "hang" does not catch "change").
METHOD_WORDS_EN = ("rope", "pill", "dose", "overdose", "jump", "hang", "blade", "razor", "gun", "bridge",
                   "poison", "tablet")
METHOD_WORDS_ZH = ("绳", "药", "跳", "割", "刀", "上吊", "安眠")
SECRECY = ("secret", "won't tell", "will not tell", "between us", "confidential",
           "保密", "不会告诉", "秘密")


def all_scripted_texts() -> list[tuple[str, str, str]]:
    data = crisis_replies._data()
    out = [(cat, lang, text) for cat, by_lang in data["replies"].items()
           for lang, texts in by_lang.items() for text in texts]
    out += [(key, lang, text) for key in crisis_replies.message_keys()
            for lang, texts in data[key].items() for text in texts]
    return out


def test_every_category_has_english_and_chinese_variants():
    data = crisis_replies._data()["replies"]
    assert set(data) == set(SEVERITY)
    for category, by_lang in data.items():
        assert set(by_lang) == {"en", "zh"}, category
        assert len(by_lang["en"]) >= 2 and len(by_lang["zh"]) >= 2, category


def test_other_messages_exist_in_both_languages():
    assert {"still_here", "glad_safe", "kiosk_counselor"} <= set(crisis_replies.message_keys())
    for key in ("still_here", "glad_safe"):
        assert message(key, "en") and message(key, "zh")


@pytest.mark.parametrize("category, lang, text", all_scripted_texts())
def test_no_method_words_and_no_secrecy(category, lang, text):
    lowered = text.lower()
    assert not [w for w in METHOD_WORDS_EN if re.search(rf"\b{w}", lowered)], (category, lang)
    assert not [w for w in METHOD_WORDS_ZH if w in text], (category, lang)
    assert not [w for w in SECRECY if w in lowered], (category, lang)


def test_the_most_severe_category_is_answered():
    both = crisis_reply(["passive_ideation", "attempt_in_progress"], "en")
    assert both == crisis_reply(["attempt_in_progress"], "en")
    assert "emergency" in both.lower()
    assert crisis_reply(["warning_signs", "abuse"], "zh") == crisis_reply(["abuse"], "zh")


def test_unknown_or_empty_categories_get_the_default():
    default = crisis_reply(["default"], "en")
    assert crisis_reply([], "en") == default
    assert crisis_reply(["something_new"], "en") == default


def test_detector_spellings_are_understood():
    assert crisis_reply(["suicide_plan"], "en") == crisis_reply(["plan_method_means"], "en")
    assert crisis_reply(["harm_others"], "zh") == crisis_reply(["harm_to_others"], "zh")


def test_variants_rotate_and_wrap():
    texts = [crisis_reply(["suicidal_ideation"], "en", variant=i) for i in range(6)]
    assert len(set(texts)) >= 2
    assert texts[0] == texts[len(crisis_replies._data()["replies"]["suicidal_ideation"]["en"])]


def test_language_choice():
    assert crisis_reply(["self_harm"], "zh_CN") == crisis_reply(["self_harm"], "zh")
    assert crisis_reply(["self_harm"], "fr") == crisis_reply(["self_harm"], "en")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in crisis_reply(["self_harm"], "zh"))


def test_abuse_reply_says_not_your_fault_and_that_the_app_cannot_report():
    en, zh = crisis_reply(["abuse"], "en"), crisis_reply(["abuse"], "zh")
    assert "not your fault" in en and "can't" in en
    assert "不是你的错" in zh and "没办法" in zh


def test_kiosk_counselor_fills_name_and_room():
    assert "Ms Lin" in message("kiosk_counselor", "en", name="Ms Lin", room="Room 204")
    assert "204室" in message("kiosk_counselor", "zh", name="林老师", room="204室")
    with pytest.raises(ValueError, match="room"):
        message("kiosk_counselor", "en", name="Ms Lin")
    with pytest.raises(KeyError):
        message("nonexistent", "en")


# --- the hold-out set's shape (not its content: it is evaluated by the detector's own tests) ---

def test_holdout_schema_and_balance():
    rows = [json.loads(raw) for raw in HOLDOUT.read_text(encoding="utf-8").splitlines() if raw.strip()]
    assert len(rows) >= 220
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "lang", "turns", "escalate", "category"}, row["id"]
        assert row["lang"] in ("en", "zh", "mixed") and isinstance(row["escalate"], bool)
        assert row["turns"] and all(isinstance(t, str) and t.strip() for t in row["turns"])
    positives = sum(r["escalate"] for r in rows)
    assert 0.4 <= positives / len(rows) <= 0.6
    assert sum(len(r["turns"]) > 1 for r in rows) >= 30
    assert {r["lang"] for r in rows} == {"en", "zh", "mixed"}


def test_kiosk_crisis_replies_never_mention_a_safety_plan():
    from edge_counsel.safety.crisis_replies import PLAN_MENTIONS, crisis_reply
    from edge_counsel.safety.risk import CATEGORIES

    for category in CATEGORIES + ("default",):
        for lang in ("en", "zh"):
            for variant in range(4):
                text = crisis_reply([category], lang, variant, with_plan=False)
                assert text and not any(word in text for word in PLAN_MENTIONS), (category, lang, text)
