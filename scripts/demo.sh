#!/usr/bin/env bash
# Serve the demo: migrate, seed once, start the background worker and the web server.
set -euo pipefail
host="$1"
port="$2"
bin=".venv/bin"
var="${PREAU_VAR_DIR:-var}"
# Links in the e-mails the worker writes point at this server.
export PREAU_SITE_URL="${PREAU_SITE_URL:-http://$host:$port}"
mkdir -p "$var/celery/queue" "$var/celery/processed" "$var/celery/control" "$var/mail" "$var/log"

"$bin/python" manage.py migrate --noinput >/dev/null
"$bin/python" manage.py collectstatic --noinput >/dev/null
if ! "$bin/python" manage.py seed_demo --if-empty; then
  echo "Le chargement des données de démonstration a échoué." >&2
  exit 1
fi

"$bin/celery" -A preau worker --beat --schedule "$var/celery/beat-schedule" --pool=solo \
  --loglevel=WARNING >"$var/log/worker.log" 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Préau est prêt : http://$host:$port/
  Les courriels (mot de passe oublié) sont écrits dans $var/mail/.
  Ctrl+C pour arrêter.

MSG
"$bin/gunicorn" preau.config.wsgi --bind "$host:$port" --workers 1 --threads 8 \
  --access-logfile "$var/log/access.log" --error-logfile "$var/log/error.log"
