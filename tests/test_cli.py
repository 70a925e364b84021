"""`edge-counsel` as a user runs it: real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PY = [sys.executable, "-m", "edge_counsel"]


def run(args, stdin="", env_home=None, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if env_home:
        env["EDGE_COUNSEL_HOME"] = str(env_home)
    return subprocess.run(PY + args, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)


def test_version():
    out = run(["--version"])
    assert out.returncode == 0 and out.stdout.startswith("edge-counsel ")


def test_chat_streams_one_reply_per_line(model_path, data_home):
    out = run(["chat", "--model", str(model_path), "--max-tokens", "24", "--temperature", "0", "--seed", "1"],
              stdin="Hello, I had a long day.\n\n我今天有点累。\n", env_home=data_home)
    assert out.returncode == 0, out.stderr
    replies = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(replies) >= 2
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out.stdout)
    assert "Traceback" not in out.stderr


def test_chat_is_repeatable_with_a_seed(model_path, data_home):
    args = ["chat", "--model", str(model_path), "--max-tokens", "16", "--temperature", "0.8", "--seed", "42"]
    first = run(args, stdin="Tell me something calming.\n", env_home=data_home)
    second = run(args, stdin="Tell me something calming.\n", env_home=data_home)
    assert first.stdout == second.stdout and first.stdout.strip()


def test_chat_crisis_prints_hotlines(model_path, data_home):
    out = run(["chat", "--model", str(model_path), "--region", "CN"], stdin="我今晚就去跳楼\n", env_home=data_home)
    assert out.returncode == 0
    assert "12356" in out.stdout and "120" in out.stdout


def test_chat_takes_gpu_layers_and_a_cpu_build_says_it_runs_on_the_cpu(model_path, data_home):
    from edge_counsel.engine.llama import gpu_offload_supported

    out = run(["chat", "--model", str(model_path), "--max-tokens", "8", "--temperature", "0", "--gpu-layers", "auto"],
              stdin="Hello.\n", env_home=data_home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
    if not gpu_offload_supported():
        assert "no GPU support, so the model runs on the CPU" in out.stderr


def test_a_bad_gpu_layers_value_is_a_usage_error(data_home):
    out = run(["chat", "--gpu-layers", "lots"], env_home=data_home)
    assert out.returncode == 2 and "number of layers" in out.stderr


def test_chat_with_a_missing_model_fails_clearly(tmp_path, data_home):
    out = run(["chat", "--model", str(tmp_path / "none.gguf")], stdin="hi\n", env_home=data_home)
    assert out.returncode == 1
    assert "not found" in out.stderr and "Traceback" not in out.stderr


def test_chat_with_a_corrupt_model_fails_clearly(tmp_path, data_home):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    out = run(["chat", "--model", str(bad)], stdin="hi\n", env_home=data_home)
    assert out.returncode == 1 and "not a GGUF" in out.stderr


def test_models_lists_the_default_as_present(data_home):
    out = run(["models", "--json"], env_home=data_home)
    assert out.returncode == 0
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    default = next(r for r in rows if r["id"] == "qwen2.5-coder-0.5b-instruct-q4km")
    assert default["present"] and default["active"]
    assert any(not r["present"] for r in rows)  # the counseling models are not shipped


def test_check_risk_json_lines():
    lines = "\n".join([json.dumps({"id": 1, "turns": ["I wrote goodbye letters.", "After I'm gone they'll see."]}),
                       "this homework is killing me lol",
                       json.dumps({"turns": ["我想自杀"]}, ensure_ascii=False)]) + "\n"
    out = run(["check-risk"], stdin=lines)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["level"] in ("moderate", "high", "imminent") for r in rows] == [True, False, True]
    assert rows[2]["escalate"] and not rows[1]["escalate"]  # escalate means the takeover
    assert rows[0]["id"] == 1 and rows[0]["categories"] and rows[0]["reasons"]


def test_check_risk_reads_a_safety_dialogue():
    messages = [{"role": "user", "content": "I can't do this anymore"},
                {"role": "assistant", "content": "Are you having thoughts of ending your life?"},
                {"role": "user", "content": "yes"}]
    out = run(["check-risk"], stdin=json.dumps({"messages": messages}) + "\n")
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["escalate"] and row["level"] in ("high", "imminent") and row["answer"] == "yes"


def test_check_reply_json_lines():
    lines = "\n".join([json.dumps({"id": 1, "text": "I think you should kill yourself.", "lang": "en"}),
                       json.dumps({"text": "我觉得你应该去死", "lang": "zh"}, ensure_ascii=False),
                       json.dumps({"text": "That sounds so hard. I'm here with you.", "lang": "en"}),
                       json.dumps({"text": "Call the lifeline at 1-800-273-8255.", "lang": "en"}),
                       json.dumps({"text": "You can call or text 988 any time.", "lang": "en", "region": "GB"}),
                       json.dumps({"text": "You can call or text 988 any time.", "lang": "en", "region": "US"})]) + "\n"
    out = run(["check-reply"], stdin=lines)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["safe"] for r in rows] == [False, False, True, False, False, True]
    assert rows[0]["id"] == 1 and rows[0]["reasons"] and rows[2]["reasons"] == []
    assert rows[3]["reasons"] == ["hotline_wrong.retired"] and rows[4]["reasons"] == ["hotline_wrong.region"]


def test_the_window_starts_and_loads_the_model(model_path, data_home, tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("window start passphrase")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EDGE_COUNSEL_HOME": str(data_home),
           "EDGE_COUNSEL_QUIT_WHEN_READY": "1", "EDGE_COUNSEL_KDF_FAST": "1"}
    out = subprocess.run(PY + ["--model", str(model_path), "--passphrase-file", str(secret)],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "edge-counsel: ready" in out.stderr
    assert (data_home / "counsel.db").exists() and (data_home / "settings.json").exists()
