"""The school the timetable page tests talk about, and a small EDT export to import.

A collège where 4B is split in two class parts (G1 in physics while G2 is in biology),
4A has its own maths; a teacher teaches 4A and the Latin group drawn from 4B G1; a
family has Emma in 4B and Lucas in the lycée next door. Every session is in the week
of `monday`, so that a test reads its page with `?semaine=`.
"""

from datetime import date, timedelta

from preau.core.models import RoleKind
from preau.core.selectors import today
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    GroupFactory,
    OccurrenceFactory,
    PersonFactory,
    RoomFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    group_service,
    guardian_account,
    pupil_in,
    staff_account,
)


def next_monday() -> date:
    day = today() + timedelta(days=7)
    return day - timedelta(days=day.weekday())


class School:
    def __init__(self):
        # Persons and accounts numbered apart: a page taking one id for the other fails.
        PersonFactory.create_batch(3)
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.monday = next_monday()
        self.a4 = DivisionFactory(school_year=self.year, name="4A")
        self.b4 = DivisionFactory(school_year=self.year, name="4B")
        self.c4 = DivisionFactory(school_year=self.year, name="4C")
        self.g1 = ClassPartFactory(division=self.b4, name="G1")
        self.g2 = ClassPartFactory(division=self.b4, name="G2")
        self.latin = GroupFactory(school_year=self.year, name="Latin 4e", class_parts=[self.g1])
        self.r101 = RoomFactory(establishment=self.establishment, name="R101")
        self.r102 = RoomFactory(establishment=self.establishment, name="R102")
        self.lab = RoomFactory(establishment=self.establishment, name="Labo")

        self.teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Schmitt")
        self.teacher.person.civility = "MME"
        self.teacher.person.save()
        self.other_teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Klein")
        division_service(self.a4, self.teacher.person)
        group_service(self.latin, self.teacher.person)
        division_service(self.b4, self.other_teacher.person)
        division_service(self.c4, self.other_teacher.person)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)

        self.emma = pupil_in(self.b4, account=True, first_name="Emma", last_name="Roche")
        ClassPartMembershipFactory(pupil=self.emma, class_part=self.g1)
        self.berger = pupil_in(self.b4, account=True, last_name="Berger")
        ClassPartMembershipFactory(pupil=self.berger, class_part=self.g2)
        self.dumas = pupil_in(self.a4, last_name="Dumas")
        self.lycee_division = DivisionFactory(name="2nde 1")
        self.lucas = pupil_in(self.lycee_division, first_name="Lucas", last_name="Lambert")
        self.parent = guardian_account(self.emma, self.lucas)

        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.physics = SubjectFactory(establishment=self.establishment, label="Physique-chimie")
        self.biology = SubjectFactory(establishment=self.establishment, label="SVT")
        self.french = SubjectFactory(establishment=self.establishment, label="Français")
        self.latin_subject = SubjectFactory(establishment=self.establishment, label="Latin")

        self.maths_4a = self.session(
            0, 8, self.maths, [self.teacher.person], [self.r101], divisions=[self.a4]
        )
        self.physics_g1 = self.session(
            0, 8, self.physics, [self.other_teacher.person], [self.lab], class_parts=[self.g1]
        )
        self.biology_g2 = self.session(
            0,
            8,
            self.biology,
            [PersonFactory(last_name="Weber")],
            [self.r102],
            class_parts=[self.g2],
        )
        self.french_4b = self.session(
            1, 10, self.french, [self.other_teacher.person], [self.r102], divisions=[self.b4]
        )
        self.latin_session = self.session(
            2, 14, self.latin_subject, [self.teacher.person], [self.r101], groups=[self.latin]
        )

    def session(self, weekday, hour, subject, teachers, rooms, **audience):
        return OccurrenceFactory(
            school_year=self.year,
            date=self.monday + timedelta(days=weekday),
            hour=hour,
            subject=subject,
            teachers=teachers,
            rooms=rooms,
            **audience,
        )

    def week(self, url: str) -> str:
        return f"{url}?semaine={self.monday.isoformat()}"


# -- A small EDT export ----------------------------------------------------------------


def edt_export(
    *,
    uai: str,
    first_day: date,
    last_day: date,
    division: str = "4B",
    teacher: tuple[str, str] = ("SCHMITT", "Nathalie"),
    weeks: int = 0,
    broken: bool = False,
) -> bytes:
    """An `ExportEmploiDuTemps` with one division, one teacher, two rooms and two
    courses (maths on Monday 08:00–08:55 and French on Tuesday 10:00–10:55), every week
    from `first_day` (or the `weeks` first weeks)."""
    monday = first_day - timedelta(days=first_day.weekday())
    count = weeks or ((last_day - monday).days // 7 + 1)
    mask = sum(1 << week for week in range(1, count + 1))
    last, first = teacher
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ExportEmploiDuTemps UAI="{uai}" Version="1.1">
  <AnneeScolaire DateDebut="{first_day.isoformat()}" DateFin="{last_day.isoformat()}"
    DatePremierJourSemaine1="{monday.isoformat()}"/>
  <GrilleHoraire NombrePlacesParJour="4" DureePlace="55">
    <PlacesParJour>
      <Place Numero="1" LibelleHeureDebut="08:00:00" LibelleHeureFin="08:55:00"/>
      <Place Numero="2" LibelleHeureDebut="09:00:00" LibelleHeureFin="09:55:00"/>
      <Place Numero="3" LibelleHeureDebut="10:00:00" LibelleHeureFin="10:55:00"/>
      <Place Numero="4" LibelleHeureDebut="11:00:00" LibelleHeureFin="11:55:00"/>
    </PlacesParJour>
  </GrilleHoraire>
  <Matieres>
    <Matiere Ident="1" Code="MATHS" Libelle="MATHEMATIQUES"/>
    <Matiere Ident="2" Code="FRANC" Libelle="FRANCAIS"/>
  </Matieres>
  <Professeurs>
    <Professeur Ident="10" Nom="{last}" Prenom="{first}" Civilite="Mme"/>
  </Professeurs>
  <Classes>
    <Classe Ident="20" Nom="{division}"/>
  </Classes>
  <Salles>
    <Salle Ident="30" Nom="S101"/>
    <Salle Ident="31" Nom="S102"/>
  </Salles>
  <Cours>
    <Cours Jour="1" NumeroPlaceDebut="1" NombrePlaces="1">
      <Matiere Ident="1"/>
      <Professeur Ident="10" Semaines="{mask}"/>
      <Classe Ident="20" Semaines="{mask}"/>
      <Salle Ident="30" Semaines="{mask}"/>
    </Cours>
    <Cours Jour="2" NumeroPlaceDebut="3" NombrePlaces="1">
      <Matiere Ident="2"/>
      <Professeur Ident="10" Semaines="{mask}"/>
      <Classe Ident="20" Semaines="{mask}"/>
      <Salle Ident="31" Semaines="{mask}"/>
    </Cours>
  </Cours>
</ExportEmploiDuTemps>
"""
    if broken:
        xml = xml.replace("</Cours>\n</ExportEmploiDuTemps>", "<Cours Jour=")
    return xml.encode()
