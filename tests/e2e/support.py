"""What the browser tests share besides fixtures: viewports and the demo accounts."""

import re

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Below 46rem the primary navigation folds behind the "Menu" button (preau.css).
PHONE_BREAKPOINT = 736

# The demo accounts of seed_demo (interfaces.md), all with this password.
PASSWORD = "demo"
DEMO_ACCOUNTS = (
    "direction",
    "cpe",
    "prof",
    "parent",
    "parent2",
    "eleve",
    "admin",
    "secretariat",
    "aed",
    "proviseur",
    "lyceen",
    "majeur",
    "region",
)

HOME = re.compile(r"^http://[^/]+/$")


def is_phone(viewport: dict) -> bool:
    return viewport["width"] < PHONE_BREAKPOINT
