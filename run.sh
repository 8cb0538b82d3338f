#!/usr/bin/env bash
# The two Quick start commands:  ./run.sh serve   (the study site on localhost)   ./run.sh test   (the suite)
set -euo pipefail
cd "$(dirname "$0")"

install() {
  # Reinstall only when the declared or pinned dependencies changed.
  if [ ! -x .venv/bin/python ]; then "${PYTHON:-python3}" -m venv .venv; fi
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] || [ constraints.txt -nt .venv/.installed ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
    touch .venv/.installed
  fi
}

case "${1:-}" in
  install)
    install
    ;;
  serve)
    install
    .venv/bin/python manage.py migrate --noinput
    .venv/bin/python manage.py seed_demo
    exec .venv/bin/python manage.py runserver "${2:-127.0.0.1:8000}"
    ;;
  test)
    install
    shift
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh serve [ADDR:PORT] | ./run.sh test [pytest args] | ./run.sh install" >&2
    exit 2
    ;;
esac
