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


_ACADEMY_DEPARTEMENTS = {
    "aix-marseille": "04 05 13 84",
    "amiens": "02 60 80",
    "besancon": "25 39 70 90",
    "bordeaux": "24 33 40 47 64",
    "clermont-ferrand": "03 15 43 63",
    "creteil": "77 93 94",
    "dijon": "21 58 71 89",
    "grenoble": "07 26 38 73 74",
    "lille": "59 62",
    "limoges": "19 23 87",
    "lyon": "01 42 69",
    "montpellier": "11 30 34 48 66",
    "nancy-metz": "54 55 57 88",
    "nantes": "44 49 53 72 85",
    "nice": "06 83",
    "normandie": "14 27 50 61 76",
    "orleans-tours": "18 28 36 37 41 45",
    "paris": "75",
    "poitiers": "16 17 79 86",
    "reims": "08 10 51 52",
    "rennes": "22 29 35 56",
    "strasbourg": "67 68",
    "toulouse": "09 12 31 32 46 65 81 82",
    "versailles": "78 91 92 95",
}
# The first three characters of a UAI: "0" and the département in metropolitan France,
# 620/720 for Corse-du-Sud and Haute-Corse, the overseas département otherwise.
_ACADEMY_BY_UAI_PREFIX = {
    f"0{departement}": academy
    for academy, departements in _ACADEMY_DEPARTEMENTS.items()
    for departement in departements.split()
} | {
    "620": "corse",
    "720": "corse",
    "971": "guadeloupe",
    "972": "martinique",
    "973": "guyane",
    "974": "la-reunion",
    "976": "mayotte",
}


def academy_for_uai(uai: str) -> str | None:
    """The académie of an establishment, from the département its UAI starts with."""
    return _ACADEMY_BY_UAI_PREFIX.get(uai[:3])
