"""Pure rules about establishments and people: identifiers, académies, ages."""

import re
from dataclasses import dataclass
from datetime import date

UAI_PATTERN = re.compile(r"^\d{7}[A-Z]$")
# The UAI check letter: the 7-digit number modulo 23, read in this alphabet (no I, O, Q).
UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(digits: str) -> str:
    return UAI_KEY_LETTERS[int(digits) % 23]


def uai_is_well_formed(uai: str) -> bool:
    # fullmatch, because "$" also matches before a final newline; ASCII only, because
    # "\d" matches every Unicode digit ("٠٧٥٠٦٨٠G" is not a UAI).
    return uai.isascii() and UAI_PATTERN.fullmatch(uai) is not None


def uai_has_valid_key(uai: str) -> bool:
    """True when the letter matches the digits. Test exports often use invented UAIs
    whose letter does not match (0134567A), so this is reported, never enforced."""
    return uai_is_well_formed(uai) and uai_check_letter(uai[:7]) == uai[7]


@dataclass(frozen=True)
class Academy:
    code: str
    name: str
    holiday_zone: str


ACADEMIES: tuple[Academy, ...] = (
    Academy("aix-marseille", "Aix-Marseille", "B"),
    Academy("amiens", "Amiens", "B"),
    Academy("besancon", "Besançon", "A"),
    Academy("bordeaux", "Bordeaux", "A"),
    Academy("clermont-ferrand", "Clermont-Ferrand", "A"),
    Academy("corse", "Corse", "other"),
    Academy("creteil", "Créteil", "C"),
    Academy("dijon", "Dijon", "A"),
    Academy("grenoble", "Grenoble", "A"),
    Academy("guadeloupe", "Guadeloupe", "other"),
    Academy("guyane", "Guyane", "other"),
    Academy("la-reunion", "La Réunion", "other"),
    Academy("lille", "Lille", "B"),
    Academy("limoges", "Limoges", "A"),
    Academy("lyon", "Lyon", "A"),
    Academy("martinique", "Martinique", "other"),
    Academy("mayotte", "Mayotte", "other"),
    Academy("montpellier", "Montpellier", "C"),
    Academy("nancy-metz", "Nancy-Metz", "B"),
    Academy("nantes", "Nantes", "B"),
    Academy("nice", "Nice", "B"),
    Academy("normandie", "Normandie", "B"),
    Academy("orleans-tours", "Orléans-Tours", "B"),
    Academy("paris", "Paris", "C"),
    Academy("poitiers", "Poitiers", "A"),
    Academy("reims", "Reims", "B"),
    Academy("rennes", "Rennes", "B"),
    Academy("strasbourg", "Strasbourg", "B"),
    Academy("toulouse", "Toulouse", "C"),
    Academy("versailles", "Versailles", "C"),
)
ACADEMY_BY_CODE = {academy.code: academy for academy in ACADEMIES}


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day`; a person born on 29 February has a birthday on
    1 March in common years, as French civil law counts it."""
    years = day.year - birth_date.year
    try:
        birthday = birth_date.replace(year=day.year)
    except ValueError:
        birthday = date(day.year, 3, 1)
    return years - (day < birthday)


def is_adult_on(birth_date: date | None, day: date) -> bool:
    return birth_date is not None and age_on(birth_date, day) >= 18


# Départements whose first three UAI digits select a public-holiday calendar other than
# the national one: the local law of Alsace-Moselle, and the overseas départements.
_PUBLIC_CALENDAR_BY_DEPARTEMENT = {
    "057": "alsace_moselle",
    "067": "alsace_moselle",
    "068": "alsace_moselle",
    "971": "guadeloupe",
    "972": "martinique",
    "973": "guyane",
    "974": "reunion",
    "976": "mayotte",
}


def public_calendar_for_uai(uai: str) -> str:
    """The public-holiday calendar of an establishment, from its département (the first
    three digits of its UAI): 0573456J in Moselle keeps Vendredi saint and 26 December."""
    return _PUBLIC_CALENDAR_BY_DEPARTEMENT.get(uai[:3], "metropole")
