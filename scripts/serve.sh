#!/usr/bin/env bash
# Start the task worker and the web server together; stop both on exit.
set -euo pipefail
py=${PY:-.venv/bin/python}
addr=${NSATU_ADDR:-127.0.0.1:8000}

"$py" manage.py db_worker --queue-name '*' --no-reload &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Task worker started (pid $worker). Web server on http://$addr/ (Ctrl-C stops both)."
"$py" manage.py runserver --noreload "$addr"
