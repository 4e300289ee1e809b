"""The demo establishments' cahier de textes, from two weeks before the reference day
to two weeks after, as the teachers of a real collège and lycée would have kept it:

- the content of most sessions held up to the reference day (each teacher has their
  habits: some write every session, some forget one in three), with a handout joined
  now and then;
- homework given in about half of those sessions, due for the next session of the same
  subject and audience (exercises, lessons to learn, work to hand in, tests announced a
  week or two ahead), most with an estimated time, a few with a handout;
- the pupils' "fait" ticks: most pupils tick what was due before the reference day,
  some what is due next;
- one visa by the direction of the collège on the maths of `eleve`'s division;
- `eleve` (Emma, collège) and `lyceen` (Lucas, lycée) have homework due on the
  reference day (when they have classes that day; else on their next two school
  days) and on their next school day.

Bulk inserts; deterministic for a seed and a day; the rows carry the time the teacher
wrote them (the end of the session), not the time of seeding.
"""

import functools
import random
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from preau.accounts.models import Account
from preau.core.models import Establishment, SchoolYear
from preau.devtools.dated import dated_fields
from preau.devtools.demo_grades import insert_rows
from preau.homework.markup import text_to_html
from preau.homework.models import (
    Attachment,
    Homework,
    HomeworkDone,
    Kind,
    SessionContent,
    Visa,
)
from preau.structure.models import TeachingService
from preau.timetable.checks import members_by_unit
from preau.timetable.models import NOT_HELD, Occurrence, OccurrenceAudience, OccurrenceTeacher
from preau.timetable.source import CLASS_PART, DIVISION, GROUP, PUPIL

BATCH = 2000
WINDOW_DAYS = 14
# How far ahead the next session of an audience is looked for.
LOOKAHEAD_DAYS = 28

# What a session covers, per subject code; "{n}" is a chapter number, "{p}" a page.
CONTENTS = {
    "MATHS": [
        "Chapitre {n} : les fractions. Correction des exercices, puis **cours** : "
        "additionner deux fractions de dénominateurs différents.",
        "Activité d'introduction sur le théorème de Pythagore.\n\n- énoncé\n- figure à "
        "main levée\n- premiers calculs",
        "Calcul littéral : développer et factoriser. Exercices {p} et {q} en classe.",
        "Statistiques : moyenne, médiane, étendue. Travail en groupes sur les relevés "
        "de température.",
        "Correction de l'évaluation. Remédiation sur les priorités opératoires.",
    ],
    "FRANC": [
        "Lecture analytique de l'extrait p. {p}. Le point de vue du narrateur.",
        "Grammaire : les propositions subordonnées relatives. Exercices oraux.",
        "Atelier d'écriture : le portrait. Brouillon à améliorer.",
        "Étude de la scène d'exposition. Repérage des personnages et des enjeux.",
        "Orthographe : accord du participe passé avec avoir. Dictée préparée.",
    ],
    "HIGEO": [
        "Chapitre {n} : la Première Guerre mondiale, une guerre totale. Étude de documents p. {p}.",
        "Géographie : les espaces productifs en France. Croquis de synthèse.",
        "Les régimes totalitaires dans l'entre-deux-guerres : trace écrite.",
        "EMC : la laïcité, principes et textes.",
    ],
    "AGL1": [
        "Unit {n}: talking about past experiences. Present perfect vs preterit.",
        "Listening: a podcast about school life in London. Vocabulary list.",
        "Oral practice in pairs: giving directions.",
    ],
    "ALL2": [
        "Kapitel {n}: meine Familie. Possessivartikel.",
        "Hörverstehen: im Supermarkt. Wortschatz der Lebensmittel.",
    ],
    "ESP2": [
        "Unidad {n}: la vida cotidiana. Los verbos pronominales.",
        "Comprensión oral: una receta de cocina. Vocabulario.",
    ],
    "SVT": [
        "La digestion : trajet des aliments et rôle des enzymes. Schéma bilan.",
        "Observation au microscope de cellules d'épiderme d'oignon.",
        "Les séismes et la tectonique des plaques : étude de cartes.",
    ],
    "PH-CH": [
        "Les circuits électriques : loi d'unicité des tensions. Mesures au voltmètre.",
        "Transformations chimiques : combustion du carbone. Compte rendu d'expérience.",
        "Vitesse et mouvement : exploitation d'une chronophotographie.",
    ],
    "TECHN": [
        "Projet : conception d'un objet connecté. Cahier des charges.",
        "Programmation par blocs : capteur de luminosité.",
    ],
    "EPS": [
        "Demi-fond : course de 3 × 500 m, relevé des temps.",
        "Badminton : échanges en double, arbitrage.",
    ],
    "PHILO": [
        "La conscience : introduction, lecture d'un extrait de Descartes.",
        "Méthodologie de la dissertation : analyser un sujet.",
    ],
}
GENERIC_CONTENTS = [
    "Chapitre {n} : introduction et premières notions. Trace écrite dans le cahier.",
    "Correction des exercices, puis nouvelle notion : synthèse au tableau.",
    "Travail en groupes sur documents, mise en commun.",
    "Révisions et questions avant l'évaluation.",
]
TASKS = [
    (Kind.TASK, "Exercices {p} et {q} page {page}.", 25),
    (Kind.TASK, "Terminer l'exercice commencé en classe.", 15),
    (Kind.TASK, "Faire la fiche d'exercices (voir pièce jointe).", 30),
    (Kind.LESSON, "Apprendre la leçon du chapitre {n}.", 20),
    (Kind.LESSON, "Revoir le vocabulaire de l'unité {n}.", 15),
    (Kind.TASK, "Lire les pages {page} à {page2} et répondre aux questions 1 à 4.", 30),
    (Kind.HAND_IN, "Rédaction : « Un souvenir d'enfance », 20 lignes, à rendre.", 45),
    (Kind.HAND_IN, "Compte rendu de l'expérience, à rendre sur feuille double.", 40),
    (Kind.TASK, "Préparer l'exposé en groupe (plan et sources).", None),
]
TESTS = [
    "Évaluation sur le chapitre {n} : revoir la leçon et les exercices corrigés.",
    "Contrôle de connaissances : apprendre les définitions du chapitre {n}.",
]
HANDOUTS = [
    ("fiche-exercices.txt", "Fiche d'exercices\n\n1. …\n2. …\n3. …\n"),
    ("lecon-resume.txt", "Résumé de la leçon\n\n- Définition\n- Propriété\n- Exemple\n"),
    ("sujet-redaction.txt", "Sujet de rédaction\n\nRacontez un souvenir d'enfance.\n"),
]
VISA_COMMENT = (
    "Cahier de textes tenu avec régularité ; penser à indiquer le temps estimé pour chaque travail."
)


@dataclass
class HomeworkSummary:
    contents: int = 0
    homework: int = 0
    attachments: int = 0
    done: int = 0
    visas: int = 0
    seconds: float = 0.0


@dataclass(eq=False)
class Session:
    pk: int
    day: date
    start: datetime
    end: datetime
    subject_id: int | None
    subject_code: str
    units: tuple[tuple[str, int], ...]
    teacher: int | None
    following: "Session | None" = None
    homework: list[Homework] = field(default_factory=list)


def dated_rows():
    """Rows written with the time the teacher wrote them rather than the time of
    seeding."""
    return dated_fields(
        SessionContent._meta.get_field("created_at"),
        SessionContent._meta.get_field("updated_at"),
        Homework._meta.get_field("created_at"),
        Homework._meta.get_field("updated_at"),
        Attachment._meta.get_field("created_at"),
        HomeworkDone._meta.get_field("done_at"),
        Visa._meta.get_field("created_at"),
    )


# The same few hundred texts come back: each is converted once.
_html = functools.lru_cache(maxsize=4096)(text_to_html)


def _concerns(session: Session, pupil: int, members: dict) -> bool:
    """The session's audience holds the pupil on its day."""
    return any(
        unit == (PUPIL, pupil)
        or any(p == pupil and span.contains(session.day) for p, span in members.get(unit, ()))
        for unit in session.units
    )


def _text(rng: random.Random, template: str) -> str:
    page = rng.randint(12, 210)
    return template.format(
        n=rng.randint(1, 9),
        p=rng.randint(3, 40),
        q=rng.randint(41, 70),
        page=page,
        page2=page + rng.randint(2, 6),
    )


class Builder:
    def __init__(self, *, seed: int, today: date, small: bool):
        self.seed = seed
        self.today = today
        self.small = small
        self.summary = HomeworkSummary()
        self.people = dict(
            Account.objects.filter(login__in=["eleve", "lyceen", "direction"]).values_list(
                "login", "person_id"
            )
        )
        self.contents: list[SessionContent] = []
        self.homework: list[Homework] = []
        self.attachments: list[tuple[Homework | SessionContent, str, str, int]] = []
        self.done: list[tuple[int, int, datetime]] = []
        self.handouts: list[tuple[str, str, int]] = []

    # Loading

    def sessions(self, establishment: Establishment, year: SchoolYear) -> list[Session]:
        first = max(year.start_date, self.today - timedelta(days=WINDOW_DAYS))
        last = min(year.end_date, self.today + timedelta(days=LOOKAHEAD_DAYS))
        held = (
            Occurrence.objects.filter(
                establishment=establishment,
                date__gte=first,
                date__lte=last,
                withdrawn_in__isnull=True,
            )
            .exclude(status__in=NOT_HELD)
            .order_by("start", "pk")
        )
        teacher: dict[int, int] = {}
        for occurrence, person in (
            OccurrenceTeacher.objects.filter(occurrence__in=held.values("pk"))
            .order_by("occurrence_id", "person_id")
            .values_list("occurrence_id", "person_id")
        ):
            teacher.setdefault(occurrence, person)
        units: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for occurrence, division, group, part, pupil in (
            OccurrenceAudience.objects.filter(occurrence__in=held.values("pk"))
            .order_by("pk")
            .values_list("occurrence_id", "division_id", "group_id", "class_part_id", "pupil_id")
        ):
            if division:
                units[occurrence].append((DIVISION, division))
            elif group:
                units[occurrence].append((GROUP, group))
            elif part:
                units[occurrence].append((CLASS_PART, part))
            else:
                units[occurrence].append((PUPIL, pupil))
        sessions = [
            Session(
                pk=pk,
                day=day,
                start=start,
                end=end,
                subject_id=subject,
                subject_code=code or "",
                units=tuple(sorted(units[pk])),
                teacher=teacher.get(pk),
            )
            for pk, day, start, end, subject, code in held.values_list(
                "pk", "date", "start", "end", "subject_id", "subject__code"
            )
        ]
        # The next session of the same subject for the same audience, on a later day.
        by_key: dict[tuple, list[Session]] = defaultdict(list)
        for session in sessions:
            by_key[(session.subject_id, session.units)].append(session)
        for series in by_key.values():
            for index, session in enumerate(series):
                session.following = next(
                    (later for later in series[index + 1 :] if later.day > session.day), None
                )
        return [s for s in sessions if s.teacher is not None and s.units]

    # Writing

    def handout(self, establishment: Establishment, rng: random.Random) -> tuple[str, str, int]:
        if not self.handouts:
            for name, text in HANDOUTS:
                data = text.encode()
                stored = default_storage.save(
                    f"homework/demo-{establishment.uai}-{name}", ContentFile(data)
                )
                self.handouts.append((stored, name, len(data)))
        return rng.choice(self.handouts)

    def give(
        self,
        establishment: Establishment,
        session: Session,
        due: date,
        due_session: Session | None,
        rng: random.Random,
        *,
        kind: str | None = None,
        text: str | None = None,
        minutes: int | None = None,
    ) -> Homework:
        if kind is None:
            kind, template, minutes = rng.choice(TASKS)
            text = _text(rng, template)
            if minutes is not None and rng.random() < 0.15:
                minutes = None
        homework = Homework(
            establishment=establishment,
            occurrence_id=session.pk,
            subject_id=session.subject_id,
            author_id=session.teacher,
            instructions=_html(text),
            due_date=due,
            due_occurrence_id=due_session.pk if due_session else None,
            estimated_minutes=minutes,
            kind=kind,
            created_at=session.end,
            updated_at=session.end,
        )
        session.homework.append(homework)
        self.homework.append(homework)
        if "pièce jointe" in text or rng.random() < 0.06:
            self.attachments.append((homework, *self.handout(establishment, rng)))
        return homework

    def school(self, establishment: Establishment, year: SchoolYear, rng: random.Random) -> None:
        self.handouts = []
        sessions = self.sessions(establishment, year)
        self.units_of = {session.pk: session.units for session in sessions}
        # Each teacher's habit: the share of sessions whose content they write.
        diligence: dict[int, float] = {}
        end_of_window = self.today + timedelta(days=WINDOW_DAYS)
        for session in sessions:
            if session.day > self.today:
                continue
            habit = diligence.setdefault(session.teacher, rng.choice([0.98, 0.9, 0.8, 0.65]))
            if rng.random() < habit:
                options = CONTENTS.get(session.subject_code, GENERIC_CONTENTS)
                content = SessionContent(
                    occurrence_id=session.pk,
                    body=_html(_text(rng, rng.choice(options))),
                    author_id=session.teacher,
                    created_at=session.end,
                    updated_at=session.end,
                )
                self.contents.append(content)
                if rng.random() < 0.04:
                    self.attachments.append((content, *self.handout(establishment, rng)))
            following = session.following
            if following is None or following.day > end_of_window:
                continue
            if session.subject_code == "EPS":
                continue
            if rng.random() < 0.5:
                self.give(establishment, session, following.day, following, rng)
            elif rng.random() < 0.06:
                # A test announced for the session after next.
                later = following.following or following
                self.give(
                    establishment,
                    session,
                    later.day,
                    later,
                    rng,
                    kind=Kind.TEST,
                    text=_text(rng, rng.choice(TESTS)),
                    minutes=rng.choice([30, 45, 60]),
                )
        self.demo_children(establishment, year, sessions, rng)

    def demo_children(
        self,
        establishment: Establishment,
        year: SchoolYear,
        sessions: list[Session],
        rng: random.Random,
    ) -> None:
        """`eleve` and `lyceen` have homework due on the reference day and on their
        next school day (given in the last session before, of the same subject)."""
        members = members_by_unit(year)
        for login in ("eleve", "lyceen"):
            pupil = self.people.get(login)
            if pupil is None:
                continue

            mine = [s for s in sessions if _concerns(s, pupil, members)]
            if not mine:
                continue
            later_days = sorted({s.day for s in mine if s.day > self.today})
            # The reference day when they have classes that day (not on a Sunday), and
            # their next school day.
            has_classes = any(s.day == self.today for s in mine)
            days = [self.today, *later_days[:1]] if has_classes else later_days[:2]
            for day in days:
                existing = [
                    homework
                    for s in mine
                    if s.day < day
                    for homework in s.homework
                    if homework.due_date == day
                ]
                if existing:
                    # A handout with the work due on the first of these days.
                    joined = {id(owner) for owner, *_rest in self.attachments}
                    if day == days[0] and not any(id(h) in joined for h in existing):
                        self.attachments.append((existing[0], *self.handout(establishment, rng)))
                    continue
                targets = [s for s in mine if s.day == day]
                given = None
                for target in targets:
                    before = [s for s in mine if s.day < day and s.subject_id == target.subject_id]
                    if before:
                        given = (before[-1], target)
                        break
                if given is None:
                    earlier = [s for s in mine if s.day < day]
                    if not earlier:
                        continue
                    given = (earlier[-1], targets[0] if targets else None)
                session, target = given
                self.give(
                    establishment,
                    session,
                    day,
                    target,
                    rng,
                    kind=Kind.TASK,
                    text="Exercices 3 et 4 de la fiche (voir pièce jointe).\n\n"
                    "- bien recopier les énoncés\n- justifier chaque réponse",
                    minutes=30,
                )

    def ticks(self, year: SchoolYear, homework: list[Homework], rng: random.Random) -> None:
        """Pupils tick most of what was due before the reference day and some of what
        comes next (Emma and Lucas leave what comes next to do)."""
        members = members_by_unit(year)
        keep = {self.people.get("eleve"), self.people.get("lyceen")}
        for item in homework:
            pupils: set[int] = set()
            for unit in self.units_of[item.occurrence_id]:
                if unit[0] == PUPIL:
                    pupils.add(unit[1])
                    continue
                for pupil, span in members.get(unit, ()):
                    if span.contains(item.due_date):
                        pupils.add(pupil)
            share = 0.8 if item.due_date < self.today else 0.2
            deadline = datetime.combine(
                item.due_date, datetime.min.time(), item.created_at.tzinfo
            ) - timedelta(hours=4)
            for pupil in sorted(pupils):
                if pupil in keep and item.due_date >= self.today:
                    continue
                if rng.random() < share:
                    moment = item.created_at + timedelta(hours=rng.randint(3, 40))
                    self.done.append((item.pk, pupil, max(min(moment, deadline), item.created_at)))

    def visa(self, establishment: Establishment, year: SchoolYear) -> None:
        """The direction of the collège visas the maths of Emma's division, up to the
        end of the previous week."""
        direction = self.people.get("direction")
        emma = self.people.get("eleve")
        if direction is None or emma is None:
            return
        service = (
            TeachingService.objects.filter(
                school_year=year,
                subject__code="MATHS",
                division__enrolments__pupil_id=emma,
            )
            .order_by("pk")
            .first()
        )
        if service is None:
            return
        up_to = self.today - timedelta(days=self.today.weekday() + 3)
        if up_to < year.start_date:
            return
        account = Account.objects.filter(login="direction").first()
        Visa.objects.create(
            establishment=establishment,
            service=service,
            up_to=up_to,
            comment=VISA_COMMENT,
            person_id=direction,
            actor=account,
            created_at=datetime.combine(
                up_to + timedelta(days=3), datetime.min.time(), ZoneInfo(establishment.timezone)
            ).replace(hour=17, minute=30),
        )
        self.summary.visas += 1

    def write(self, establishment: Establishment, year: SchoolYear, rng: random.Random) -> None:
        SessionContent.objects.bulk_create(self.contents, batch_size=BATCH)
        Homework.objects.bulk_create(self.homework, batch_size=BATCH)
        Attachment.objects.bulk_create(
            [
                Attachment(
                    homework=owner if isinstance(owner, Homework) else None,
                    content=owner if isinstance(owner, SessionContent) else None,
                    file=stored,
                    name=name,
                    size=size,
                    content_type="text/plain",
                    uploaded_by_id=owner.author_id,
                    created_at=owner.created_at,
                )
                for owner, stored, name, size in self.attachments
            ],
            batch_size=BATCH,
        )
        self.ticks(year, self.homework, rng)
        # Tens of thousands of ticks: rows without model instances (COPY on PostgreSQL).
        insert_rows(HomeworkDone, ["homework", "pupil", "done_at"], self.done)
        self.summary.contents += len(self.contents)
        self.summary.homework += len(self.homework)
        self.summary.attachments += len(self.attachments)
        self.summary.done += len(self.done)
        self.contents, self.homework, self.attachments, self.done = [], [], [], []

    def build(self, schools: list[tuple[Establishment, SchoolYear]]) -> HomeworkSummary:
        started = clock.monotonic()
        with dated_rows():
            for establishment, year in schools:
                rng = random.Random(f"{self.seed}/homework/{establishment.uai}")
                self.school(establishment, year, rng)
                self.write(establishment, year, rng)
                if establishment.kind == "college":
                    self.visa(establishment, year)
        self.summary.seconds = clock.monotonic() - started
        return self.summary


def build_demo_homework(
    *, schools: list[tuple[Establishment, SchoolYear]], seed: int, today: date, small: bool
) -> HomeworkSummary:
    """The cahier de textes of the demo establishments (see the module's docstring)."""
    return Builder(seed=seed, today=today, small=small).build(schools)
