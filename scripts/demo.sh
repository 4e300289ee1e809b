#!/usr/bin/env bash
# Serve the demo: migrate, seed once, start the background worker and the web server.
set -euo pipefail
host="$1"
port="$2"
bin=".venv/bin"
var="${PREAU_VAR_DIR:-var}"
mkdir -p "$var/celery/queue" "$var/celery/processed" "$var/mail" "$var/log"

"$bin/python" manage.py migrate --noinput >/dev/null
"$bin/python" manage.py collectstatic --noinput >/dev/null
if ! "$bin/python" manage.py seed_demo --if-empty; then
  echo "Le chargement des données de démonstration a échoué." >&2
  exit 1
fi

"$bin/celery" -A preau worker --pool=solo --loglevel=WARNING --logfile="$var/log/worker.log" &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Préau est prêt : http://$host:$port/

  Comptes de démonstration (mot de passe : demo)
    direction   chef d'établissement du collège
    cpe         conseiller principal d'éducation du collège
    prof        enseignant (collège et quelques heures au lycée)
    parent      responsable légal de deux enfants (collège et lycée)
    parent2     l'autre responsable légal de l'enfant du collège
    eleve       élève du collège
    admin       superutilisateur

  Les courriels (mot de passe oublié) sont écrits dans $var/mail/.
  Ctrl+C pour arrêter.

MSG
"$bin/gunicorn" preau.config.wsgi --bind "$host:$port" --workers 1 --threads 8 \
  --access-logfile "$var/log/access.log" --error-logfile "$var/log/error.log"
