#!/usr/bin/env bash
# Start the task worker and the web server together; stop both on exit.
# The web server is gunicorn with several processes of a few threads each, so that
# one slow request (a password check, an import, a long export) does not hold up
# everyone else. The task worker is restarted if it dies (on SQLite a long import
# can hold the write lock past its 30 s busy timeout, which ends db_worker).
#
#   NSATU_ADDR=127.0.0.1:8000  NSATU_WEB_WORKERS=3  NSATU_WEB_THREADS=4  NSATU_SWEEP_SECONDS=3600
set -euo pipefail
py=${PY:-.venv/bin/python}
bin=$(dirname "$py")
addr=${NSATU_ADDR:-127.0.0.1:8000}
workers=${NSATU_WEB_WORKERS:-3}
threads=${NSATU_WEB_THREADS:-4}

"$py" manage.py collectstatic --noinput -v0

task_worker() {
  local child=""
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    "$py" manage.py db_worker --queue-name '*' --no-reload &
    child=$!
    status=0
    wait "$child" || status=$?
    echo "task worker exited (status $status); starting another in 2 s" >&2
    sleep 2
  done
}
task_worker &
worker=$!
# What time brings (shipments overdue, inventories coming due) is told by a sweep every
# NSATU_SWEEP_SECONDS (an hour); each occasion is told once, so a restart repeats nothing.
sweeper() {
  local child=""
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    "$bin/nsatu" notifications sweep >/dev/null || echo "notification sweep failed" >&2
    sleep "${NSATU_SWEEP_SECONDS:-3600}" &
    child=$!
    wait "$child" || true
  done
}
sweeper &
sweep=$!
web=""
stop() {
  trap - INT TERM EXIT
  kill $worker $sweep $web 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
echo "Task worker started (pid $worker). Web server on http://$addr/ (Ctrl-C stops both)."
# No control socket: its default path is one per user, which two servers (a test's, a
# benchmark's, the demo's) would fight over.
"$bin/gunicorn" nsatu.site.wsgi:application --bind "$addr" --workers "$workers" --threads "$threads" \
  --access-logfile - --graceful-timeout 5 --timeout 120 --no-control-socket &
web=$!
wait "$web"
