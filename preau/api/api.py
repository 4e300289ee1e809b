from ninja import NinjaAPI
from ninja.security import django_auth

from preau.api.auth import BearerToken
from preau.api.core import router as core_router
from preau.api.grades import router as grades_router
from preau.api.homework import router as homework_router
from preau.api.messages import router as messages_router
from preau.api.pupils import router as pupils_router

api = NinjaAPI(
    title="Préau",
    version="1",
    description=(
        "L'API de Préau, avec les mêmes règles d'accès que les pages. Un objet que "
        "l'appelant ne peut pas voir répond 404."
    ),
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)
api.add_router("/", core_router)
api.add_router("/", pupils_router)
api.add_router("/", grades_router)
api.add_router("/", homework_router)
api.add_router("/", messages_router)
