#!/usr/bin/env bash
# Serve Wenku on 127.0.0.1:8000 with its background worker; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
host=${WENKU_HOST:-127.0.0.1}
port=${WENKU_PORT:-8000}

"$bin/wenku" migrate --noinput
"$bin/wenku" collectstatic --noinput -v 0
"$bin/wenku" demo

"$bin/wenku" worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM

echo "Wenku: http://$host:$port/  (worker pid $worker)"
# --blocking-threads 1: measured fastest for Django on this machine (ARCHITECTURE.md).
"$bin/granian" --interface wsgi --host "$host" --port "$port" \
  --workers "${WENKU_WEB_WORKERS:-2}" --blocking-threads 1 wenku.wsgi:application
