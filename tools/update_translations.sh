#!/bin/sh
# Re-extract the interface's English source strings into the Chinese catalogue, then compile it.
# Run after changing any tr()/translate() string in edge_counsel/ui, fill in every new
# <translation> of the .ts (Qt Linguist, or by hand), and run it again so the .qm matches.
# Uses the pyside6-lupdate and pyside6-lrelease beside $PYTHON (default: python3 on PATH).
set -eu
cd "$(dirname "$0")/.."
bin=$(dirname "$(command -v "${PYTHON:-python3}")")
ts=edge_counsel/i18n/edge_counsel_zh_CN.ts
"$bin/pyside6-lupdate" -silent -no-obsolete -locations none edge_counsel/ui/*.py -ts "$ts"
"$bin/pyside6-lrelease" -silent "$ts" -qm "${ts%.ts}.qm"
