#!/usr/bin/env bash
# The project's set-up, sample run, tests and docs in one place: the README's two commands and CI.
#
#   scripts/dev.sh sample   install everything, then `pie run` on the embedded sample
#   scripts/dev.sh test     install everything, then the quality gate, the docs and the tests (what CI runs)
#   scripts/dev.sh check    install, then only the quality gate (seconds)
#   scripts/dev.sh docs     build the docs site (mkdocs build --strict) into site/
#   scripts/dev.sh install  only install (system packages, the venv, the byte-compile)
#
# Idempotent: a second run installs nothing that is there already. Each stage prints its time.
# Sourced (`. scripts/dev.sh`), it only defines the steps below.

SYSTEM_PACKAGES=(g++ valgrind bubblewrap postgresql)
PYTHON=${PYTHON:-python3}
VENV=.venv
# Every test but the exhaustive ones, one test file per core, the longest files first (tests/conftest.py).
TEST_COMMAND=(pytest tests -q -m "not exhaustive" -n auto --dist loadfile --no-loadscope-reorder --durations=20)

_started=$SECONDS
stage() { # stage NAME COMMAND...: run it, then print how long it took
  local name=$1 t0=$SECONDS
  shift
  echo "::: $name"
  "$@"
  echo "::: $name took $((SECONDS - t0)) s (total $((SECONDS - _started)) s)"
}

_missing_system_packages() { # the packages of SYSTEM_PACKAGES whose tools are not installed
  local missing=()
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 ||
    [ -n "${PIE_PG_BIN:-}" ] || missing+=(postgresql)
  echo "${missing[@]}"
}

system_packages() { # apt-get what is missing as root or with sudo; otherwise say what to install
  local missing sudo=""
  missing=$(_missing_system_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=sudo
    else
      sudo=none
    fi
  fi
  if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "dev.sh: missing system packages: $missing (the runtime stage compiles, sandboxes and" \
      "measures with g++, bwrap and valgrind; the deployment tests start a real Postgres)." >&2
    echo "dev.sh: install them as root, e.g. \`apt-get install -y ${SYSTEM_PACKAGES[*]}\`;" \
      "going on without them (the tests that need them skip, saying so)." >&2
    return 0
  fi
  # env: sudo resets the environment. $missing unquoted: one word per package.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

python_packages() { # the venv with every extra, byte-compiled on all cores (much faster than pip's own compile)
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "dev.sh: needs Python 3.11 as \`$PYTHON\` (set PYTHON=python3.11 to name another)" >&2
    return 1
  fi
  local stamp=$VENV/.pie-installed want # pyproject.toml's hash when pip last installed it here
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$VENV is up to date with pyproject.toml"
  else
    "$PYTHON" -m venv "$VENV" && . "$VENV/bin/activate" &&
      pip install -q --no-compile -e ".[test,ml,cluster,dev]" && echo "$want" >"$stamp" || return 1
  fi
  # -x: the one torch test file in Python 3.12 syntax. Already compiled files are only checked (seconds).
  "$VENV/bin/python" -m compileall -qq -j 0 -x py312_intrinsics "$VENV/lib" pie_assets
}

install_all() {
  stage "system packages (${SYSTEM_PACKAGES[*]})" system_packages
  stage "python packages ($VENV)" python_packages
  . "$VENV/bin/activate"
}

run_sample() { pie run; } # the embedded sample → ./warehouse, the whole graph

run_tests() { "${TEST_COMMAND[@]}"; }

quality_gate() { # seconds, first: lint, format, types, SQL lint, layer contracts; any finding fails
  ruff check .
  ruff format --check .
  mypy
  sqlfluff lint sql
  lint-imports
}

build_docs() { NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site; } # site/ is git-ignored

_main() {
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case "${1:-}" in
  sample)
    install_all
    stage "pie run (the embedded sample)" run_sample
    ;;
  test) # what CI runs (.ci/run)
    install_all
    stage "quality gate (ruff, ruff format, mypy, sqlfluff, lint-imports)" quality_gate
    stage "docs (mkdocs build --strict)" build_docs
    stage "tests (${TEST_COMMAND[*]})" run_tests
    echo "::: CI passed in $((SECONDS - _started)) s"
    ;;
  check)
    install_all
    stage "quality gate (ruff, ruff format, mypy, sqlfluff, lint-imports)" quality_gate
    ;;
  docs)
    install_all
    stage "docs (mkdocs build --strict)" build_docs
    ;;
  install) install_all ;;
  *)
    echo "usage: scripts/dev.sh sample|test|check|docs|install" >&2
    return 2
    ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  _main "$@"
fi
