"""The learned crisis stage: the shipped model, its cues and categories, how it joins the rules,
its cost, deterministic training, and recall / false-positive rate on a held-back slice of the
training data. The blind held-out set (tests/data/crisis_holdout.jsonl) is never read here."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from edge_counsel.risk import RiskDetector, default_detector
from edge_counsel.risk_model import MODEL_FILE, RiskClassifier, load_classifier
from edge_counsel.risk_train import (TrainConfig, choose_threshold, cross_validate, export, featurize, fold_of,
                                     load_cases, predict, rates, train)

DATA = Path(__file__).resolve().parent / "data"
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "crisis_dev.jsonl"
TRAINING_FILES = [DATA / "crisis_cases.jsonl", DEV_SET, DATA / "crisis_train_extra.jsonl"]
EXTRA = DATA / "crisis_train_extra.jsonl"


@pytest.fixture(scope="module")
def classifier() -> RiskClassifier:
    return RiskClassifier(normalize=RiskDetector(classifier=False).normalize)


@pytest.fixture(scope="module")
def rules() -> RiskDetector:
    return RiskDetector(classifier=False)


@pytest.fixture(scope="module")
def training_cases() -> list[dict]:
    return load_cases(p for p in TRAINING_FILES if p.exists())


# -- the shipped model ---------------------------------------------------------------------------

def test_model_file_is_small_and_records_its_cross_validation():
    from edge_counsel.paths import PACKAGE_DATA

    path = PACKAGE_DATA / "risk" / MODEL_FILE
    assert path.stat().st_size < 2_000_000
    model = json.loads(path.read_text(encoding="utf-8"))
    assert 0.0 < model["threshold"] < 1.0
    assert model["cv"]["folds"] == 5 and model["cv"]["max_fpr"] == 0.03
    assert model["cv"]["by_language"]["all"]["classifier"]["fpr"] <= 0.03
    assert list(model["weights"]) == sorted(model["weights"])


@pytest.mark.parametrize("turns", [[], [""], ["   "]])
def test_nothing_to_score_is_zero(classifier, turns):
    assert classifier.score(turns) == (0.0, [])


def test_scores_are_probabilities_with_cues(classifier):
    texts = ["hello", "what's for lunch", "我想死", "i counted my pills again, there's enough", "😀😀",
             "a" * 500]
    for text in texts:
        p, cues = classifier.score([text])
        assert 0.0 <= p <= 1.0
        assert isinstance(cues, list) and len(cues) <= 3 and all(isinstance(c, str) and c for c in cues)
    assert classifier.score("i counted my pills again") == classifier.score(["i counted my pills again"])


# Written for these tests, not in any training file: paraphrases the rules do not know.
INDIRECT = [
    "i looked into how many of my antidepressants it would take, just to know",
    "my sister can keep my cat. i won't be around to feed him anyway",
    "i counted my sleeping pills again. i think there's enough now",
    "i don't think i'll be here when the semester ends",
    "天台那扇门其实一推就开,我昨天上去站了很久",
    "我已经把最喜欢的书都送给同学了,反正以后也用不上了",
    "我在网上查了吃多少片安眠药才够",
    "relapsed last night, it's way deeper than before",
]
CONTROLS = [
    "i'm researching how many calories are in a banana for my nutrition class",
    "my sister is watching my cat while i'm on vacation next week",
    "how many cold tablets can i take in one day?",
    "dear diary, today was a good day",
    "我们学校的天台上种了很多花,今天去浇水了",
    "毕业了,把旧书都送给学弟学妹了",
    "感冒药一天最多吃几片?",
    "this exam is going to kill me",
    "这道题难死我了",
    "i cut my finger making a salad",
    "my grandma passed away last year, i still miss her",
    "我爸打球又赢了我",
]


# Ordinary kiosk and app messages, none in any training file.
EVERYDAY = [
    'Tell me a bedtime story about a sleepy bear.',
    'Can you describe a snowy village at night?',
    "what's a good breakfast before an exam?",
    'I want to talk about my weekend.',
    'how do I ask my teacher for an extension?',
    "We're going camping by the lake this weekend.",
    "my friend said something mean to me today and I don't know what to do",
    "I'm a little stressed about my presentation on friday",
    'Could you guide me through a body scan?',
    'how do I get better at basketball?',
    "what's your favourite colour?",
    'I keep forgetting my homework at home',
    'Can you help me write a birthday card for my mom?',
    'what are good questions to ask a school counselor?',
    'i had a weird dream last night about flying',
    'how long should i study each day?',
    'my parents want me to be a doctor but i like art',
    "can you teach me a grounding exercise for when i'm anxious?",
    'tell me about the northern lights',
    'i miss my grandparents, they live far away',
    "I'm waiting outside the counselor's office",
    'How do I stop overthinking at night?',
    'The sunset over the river was beautiful today',
    "i'm going to the mall with my friends later",
    "what's a fun thing to do on a rainy day?",
    'my brother and i built a treehouse',
    'is it ok to take a nap after school?',
    "I'm so excited, we adopted a puppy!",
    "what's the best way to prepare for a job interview?",
    'i want to be more organized this semester',
    '给我讲一个关于小猫的睡前故事',
    '能描述一下下雪的夜晚吗?',
    '考试前早饭吃什么好?',
    '想跟你说说我的周末',
    '怎么跟老师申请晚交作业?',
    '周末我们去湖边露营',
    '朋友今天说了很难听的话,我不知道怎么办',
    '周五要演讲,有点紧张',
    '能带我做一次身体扫描放松吗?',
    '怎么提高篮球水平?',
    '你最喜欢什么颜色?',
    '老是忘记带作业',
    '帮我给妈妈写张生日贺卡',
    '见心理老师可以问些什么?',
    '昨晚梦到自己会飞',
    '每天学习多长时间合适?',
    '爸妈想让我学医,但我喜欢画画',
    '教我一个焦虑时稳定情绪的方法',
    '给我讲讲北极光',
    '好想爷爷奶奶,他们住得很远',
    '我在心理老师办公室门口等着',
    '晚上总是想太多,怎么办?',
    '今天河边的日落好美',
    '等会儿和朋友去逛商场',
    '下雨天在家做什么好玩?',
    '我和哥哥搭了一个树屋',
    '放学后睡个午觉可以吗?',
    '好开心,我们家领养了一只小狗!',
    '这学期想变得更有条理',
]


def test_test_sentences_are_not_training_cases(training_cases):
    seen = {t for case in training_cases for t in case["turns"]}
    assert not seen & set(INDIRECT + CONTROLS + EVERYDAY)


def test_everyday_chat_stays_quiet():
    flagged = [m for m in EVERYDAY if default_detector().assess([m]).escalate]
    assert len(flagged) <= 1, flagged


@pytest.mark.parametrize("text", INDIRECT)
def test_indirect_risk_scores_high(classifier, rules, text):
    assert not rules.assess([text]).escalate  # the rules miss it: this stage is the only catch
    p, cues = classifier.score([text])
    assert p >= classifier.threshold, (text, p)
    assert cues


@pytest.mark.parametrize("text", CONTROLS)
def test_innocent_uses_of_the_same_words_score_low(classifier, text):
    p, _ = classifier.score([text])
    assert p < classifier.threshold, (text, p)


@pytest.mark.parametrize("text, category", [
    ("my stepdad hits me when mom isn't home and says i can't tell", "abuse"),
    ("我继父喝醉了就打我,还说不许告诉任何人", "abuse"),
    ("我真的想拿刀去找他算账,我已经准备好了", "harm_to_others"),
    ("又用刀片划了手臂,这次很深", "self_harm"),
    ("my sister can keep my cat. i won't be around to feed him anyway", "warning_signs"),
])
def test_category_head_names_the_kind_of_risk(classifier, text, category):
    assert classifier.predict([text]).category == category


@pytest.mark.parametrize("risky, innocent, last", [
    ("i walked up to the roof of the parking garage again", "we skated in the empty parking garage",
     "nobody stops you"),
    ("我又去了学校顶楼", "我们去了学校的图书馆", "没人会拦着"),
])
def test_earlier_turns_are_light_context(classifier, risky, innocent, last):
    alone = classifier.score([last])[0]
    after_risk = classifier.score([risky, last])[0]
    after_chat = classifier.score([innocent, last])[0]
    assert after_risk > after_chat + 0.2 and after_risk > alone + 0.2
    assert after_chat < classifier.threshold


def test_han_cues_read_as_phrases(classifier):
    _, cues = classifier.score(["我在网上查了吃多少片安眠药才够"])
    assert any(len(c) >= 2 for c in cues)


# -- joining the rules ---------------------------------------------------------------------------

def test_detector_escalates_what_only_the_classifier_sees(rules):
    text = "i counted my sleeping pills again. i think there's enough now"
    assert not rules.assess([text]).escalate
    a = default_detector().assess([text])
    assert a.escalate and a.level == "moderate" and len(a.categories) == 1
    assert a.reasons[0].startswith("classifier: p=0.") and '"' in a.reasons[0]


def test_rule_verdicts_are_unchanged(rules):
    for turns in (["I'm going to kill myself tonight."], ["我准备今晚从桥上跳下去"],
                  ["my stepdad hits me when he's drunk"], ["i want to die", "i have pills"]):
        assert default_detector().assess(turns) == rules.assess(turns)


def test_without_a_model_file_the_rules_work_alone(tmp_path):
    from edge_counsel.paths import PACKAGE_DATA

    for f in (PACKAGE_DATA / "risk").glob("*.json"):
        if f.name != MODEL_FILE:
            (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_classifier(tmp_path) is None
    detector = RiskDetector(tmp_path)
    assert detector.assess(["I want to die"]).escalate
    assert not detector.assess(["i counted my sleeping pills again. i think there's enough now"]).escalate


# -- cost ----------------------------------------------------------------------------------------

def test_scoring_a_typical_message_is_fast(classifier):
    """p99 under 0.5 ms, cold (normalising included), median of 5 runs per message."""
    messages = [json.loads(line)["turns"][-1] for line in EXTRA.read_text(encoding="utf-8").splitlines()[:300]]
    for m in messages:
        classifier.score([m])
    latencies = []
    for m in messages:
        runs = []
        for _ in range(5):
            classifier.clear_cache()
            start = time.perf_counter()
            classifier.score([m])
            runs.append(time.perf_counter() - start)
        latencies.append(statistics.median(runs) * 1000)
    latencies.sort()
    assert latencies[int(0.99 * (len(latencies) - 1))] < 0.5, latencies[-5:]


def test_cost_is_linear_in_length(classifier):
    def cold(text: str) -> float:
        runs = []
        for _ in range(5):
            classifier.clear_cache()
            start = time.perf_counter()
            classifier.score([text])
            runs.append(time.perf_counter() - start)
        return min(runs)

    unit = "i feel so tired of everything and 没有人懂我. "
    assert cold(unit * 80) < 20 * cold(unit * 8)


# -- training ------------------------------------------------------------------------------------

def test_training_is_deterministic(training_cases, rules):
    subset = [c for c in training_cases if fold_of(c["id"], 10) == 3]
    config = TrainConfig(max_iter=60)
    runs = []
    for _ in range(2):
        vectors = featurize(subset, rules.normalize, config.features)
        model = train(subset, vectors, config)
        runs.append(json.dumps(export(model, 0.5, {}), sort_keys=True))
    assert runs[0] == runs[1]
    assert json.loads(runs[0])["weights"]


def test_threshold_keeps_false_positives_within_budget():
    p = np.array([0.1, 0.2, 0.3, 0.9, 0.95, 0.4, 0.8, 0.7])
    y = np.array([False, False, False, False, True, True, True, True])
    t = choose_threshold(p, y, 0.25)  # one negative of four may pass: the 0.9
    assert rates(p, y, t) == (1.0, 0.25) and 0.3 < t <= 0.4
    t = choose_threshold(p, y, 0.0)
    assert rates(p, y, t) == (0.25, 0.0) and 0.9 < t <= 0.95


def test_held_back_slice_of_the_training_data(training_cases, rules):
    """Train on 80% (by a fixed hash of the id), choose the threshold by 5-fold CV inside that 80%,
    and judge the other 20%, rules and classifier together. Bounds sit a little under what this
    split measured (recall 0.76, FPR 0.065; recall 0.43 on the positives the rules miss), close
    to 5-fold CV on everything (0.72, 0.046; 0.36). The rules alone get 0.59 / 0.022 here."""
    held = [c for c in training_cases if fold_of(c["id"], 5) == 0]
    kept = [c for c in training_cases if fold_of(c["id"], 5) != 0]
    config = TrainConfig()
    kept_vectors = featurize(kept, rules.normalize, config.features)
    oof, _ = cross_validate(kept, kept_vectors, config, categories=False)
    threshold = choose_threshold(oof, np.array([c["escalate"] for c in kept]), config.max_fpr)
    model = train(kept, kept_vectors, config, categories=False)
    p, _ = predict(model, featurize(held, rules.normalize, config.features))
    y = np.array([c["escalate"] for c in held])
    by_rules = np.array([rules.assess(c["turns"]).escalate for c in held])
    flagged = (p >= threshold) | by_rules
    recall, fpr = flagged[y].mean(), flagged[~y].mean()
    rescued = (p[y & ~by_rules] >= threshold).mean()
    assert recall >= 0.72 and fpr <= 0.08, (recall, fpr)
    assert rescued >= 0.35, rescued
    assert recall - by_rules[y].mean() >= 0.12
