"""Préau settings: the base, then one module per integration.

Every value that differs between a laptop and a region comes from the environment;
see docs/operations.md for the list.
"""

from .base import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery import *  # noqa: F403
from .database import *  # noqa: F403
from .email import *  # noqa: F403
from .security import *  # noqa: F403
