"""The demo's messages: what the messagerie of the two establishments holds on the day
of seeding, written in the days before.

- **Families and teachers.** `parent` (Sophie Lambert) asks Emma's head teacher for a
  meeting and gets an answer she has not read yet; `prof` (Mme Schmitt) writes to
  Emma's two guardians about a maths homework and `parent` answers both (a
  discussion); `eleve` asks `prof` about an exercise and gets her answer; the parents
  of a 3A pupil and `prof`, their child's head teacher, talk about the class trip.
- **An information with read receipts.** The principal (`direction`) invites the
  guardians of 4B to the parents' evening, with the agenda as a PDF attachment and a
  read receipt: about two thirds have read it, `parent` and `parent2` not yet. Two
  families answered (an information's replies go to its sender only).
- **A message to all guardians of the collège** from `direction` (the mock brevet and
  the class councils), read by about half of them.
- **A message about Lucas** for `parent`: the lycée's CPE writes to Lucas's guardians
  about his lateness, tagged with the pupil.
- **Staff.** `direction` calls the teaching staff of the collège to a meeting.

Rows are written as `services.message_send` and `services.message_reply` write them —
the message once, one `Recipient` row per person (bulk), the audiences chosen with
their resolved counts, an audit event — but dated in the past, with the notifications
already sent at the time (nothing is queued) and the recipients' reading. Every message
is one the rules allow (`services.authorise`, checked by the demo's tests rather than
here, where it would double the time). The establishments keep the default rules
(guardians are the legal guardians). Deterministic for a seed and a moment; about a
hundred queries whatever the size of the demo.
"""

import random
import time as clock
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from preau.accounts.models import Account
from preau.audit.models import AuditEvent
from preau.core.models import (
    Establishment,
    Guardianship,
    Person,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.core.richtext import clean_html, plain_text
from preau.devtools.demo_attendance import dated_audit, reference_now
from preau.messaging import audiences as audience_module
from preau.messaging import policy, services
from preau.messaging.forms import text_to_html
from preau.messaging.models import (
    Attachment,
    Message,
    MessageAudience,
    MessageKind,
    NotifyState,
    Recipient,
)
from preau.structure.models import Division, Enrolment

BATCH = 2000


@dataclass
class MessagingSummary:
    messages: int = 0
    recipients: int = 0
    seconds: float = 0.0
    # message subject → id, for tests and for the documentation
    subjects: dict[str, int] = field(default_factory=dict)


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (Helvetica), for the demo's attachment."""
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text.encode("cp1252") + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@dataclass
class Pending:
    """A message planned, written when its time comes."""

    message: Message | None = None


class MessagingBuilder:
    def __init__(self, *, seed: int, today: date, now: datetime):
        self.rng = random.Random(zlib.crc32(f"messaging-{seed}".encode()))
        self.today = today
        self.now = now
        self.summary = MessagingSummary()
        self.audit: list[AuditEvent] = []
        self.steps: list[tuple[datetime, int, object]] = []
        self.accounts: dict[int, int] = {}

    # When -------------------------------------------------------------------------------

    def at(self, school_days_back: int, hour: int, minute: int = 0) -> datetime:
        """`school_days_back` weekdays before today at `hour:minute`, never after now
        (then a weekday earlier)."""
        zone = self.now.tzinfo
        day = self.today
        back = school_days_back
        while True:
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            if back <= 0:
                moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
                if moment < self.now - timedelta(minutes=5):
                    return moment
            back -= 1
            day -= timedelta(days=1)

    def later(self, moment: datetime, low_minutes: int, high_minutes: int) -> datetime | None:
        """A moment after `moment`, in the day (a night's moment moves to the next
        morning), or None when it would come after now."""
        found = moment + timedelta(minutes=self.rng.randint(low_minutes, high_minutes))
        if found.hour >= 22 or found.hour < 7:
            morning = found.date() + timedelta(days=found.hour >= 22)
            found = datetime.combine(morning, time(7, self.rng.randint(0, 59)), tzinfo=found.tzinfo)
        return found if found < self.now else None

    # Writing ----------------------------------------------------------------------------

    def send(self, **fields) -> "Pending":
        """Plan a message (`_send`'s arguments): the messages are written in the order
        they were sent, whatever the order of the scenes, so that ids follow time."""
        handle = Pending()

        def run():
            handle.message = self._send(**fields)

        self.steps.append((fields["when"], len(self.steps), run))
        return handle

    def reply(self, to: "Pending", **fields) -> "Pending":
        """Plan a reply to a planned message (`_reply`'s arguments)."""
        handle = Pending()

        def run():
            handle.message = self._reply(to.message, **fields)

        self.steps.append((fields["when"], len(self.steps), run))
        return handle

    def _send(
        self,
        *,
        establishment: Establishment,
        sender: Person,
        subject: str,
        text: str,
        when: datetime,
        people: list[int] = (),
        audiences: list[tuple[str, object]] = (),
        kind: str = MessageKind.DISCUSSION,
        read_receipt: bool = False,
        concerns: Person | None = None,
        readers: dict[int, datetime | None] | None = None,
        attachment: tuple[str, bytes] | None = None,
    ) -> Message:
        """A message as `services.message_send` stores it, sent at `when`; `readers`
        says when each recipient read it (absent or None: not read)."""
        chosen = audience_module.describe(
            list(audiences), establishment_id=establishment.pk, day=self.today
        )
        everybody = set(people)
        counts = {}
        for audience in chosen:
            members = set(
                audience_module.members(
                    audience,
                    establishment_id=establishment.pk,
                    day=self.today,
                    include_contacts=False,
                )
            )
            counts[audience] = len(members)
            everybody |= members
        everybody.discard(sender.pk)
        message = self._store(
            establishment=establishment,
            sender=sender,
            subject=subject,
            text=text,
            when=when,
            kind=kind,
            read_receipt=read_receipt,
            concerns=concerns,
            person_ids=sorted(everybody),
            readers=readers or {},
            thread=None,
            in_reply_to=None,
            attachment=attachment,
            action="messaging.message_send",
            chosen=counts,
        )
        self.summary.subjects[subject] = message.pk
        return message

    def _reply(
        self,
        message: Message,
        *,
        sender: Person,
        text: str,
        when: datetime,
        readers: dict[int, datetime | None] | None = None,
    ) -> Message:
        """A reply as `services.message_reply` stores it: to the sender of an
        information, to every participant of a discussion."""
        root = message if message.thread_id is None else Message.objects.get(pk=message.thread_id)
        return self._store(
            establishment=message.establishment,
            sender=sender,
            subject=root.subject,
            text=text,
            when=when,
            kind=root.kind,
            read_receipt=False,
            concerns=root.concerns,
            person_ids=services.reply_recipients(sender.pk, message),
            readers=readers or {},
            thread=root,
            in_reply_to=message,
            attachment=None,
            action="messaging.message_reply",
            chosen={},
        )

    def _store(
        self,
        *,
        establishment,
        sender,
        subject,
        text,
        when,
        kind,
        read_receipt,
        concerns,
        person_ids,
        readers,
        thread,
        in_reply_to,
        attachment,
        action,
        chosen,
    ) -> Message:
        body = clean_html(text_to_html(text))
        message = Message.objects.create(
            establishment=establishment,
            sender=sender,
            subject=subject,
            body=body,
            body_text=plain_text(body),
            kind=kind,
            read_receipt=read_receipt,
            concerns=concerns,
            thread=thread,
            in_reply_to=in_reply_to,
            recipient_count=len(person_ids),
            created_at=when,
        )
        if chosen:
            MessageAudience.objects.bulk_create(
                MessageAudience(
                    message=message,
                    type=audience.type,
                    target=audience.target,
                    label=audience.label,
                    resolved_count=count,
                )
                for audience, count in chosen.items()
            )
        notified = when + timedelta(minutes=1)
        Recipient.objects.bulk_create(
            (
                Recipient(
                    message=message,
                    person_id=person_id,
                    read_at=readers.get(person_id),
                    notify_state=NotifyState.SENT,
                    notify_attempts=1,
                    notified_at=notified if notified < self.now else None,
                )
                for person_id in person_ids
            ),
            batch_size=BATCH,
        )
        if attachment:
            name, content = attachment
            row = Attachment(
                message=message, name=name, size=len(content), content_type="application/pdf"
            )
            row.file.save(name, ContentFile(content), save=False)
            row.save()
        self.audit.append(
            AuditEvent(
                at=when,
                actor_id=self.accounts.get(sender.pk),
                establishment=establishment,
                action=action,
                object_type=Message._meta.label_lower,
                object_id=str(message.pk),
                after={
                    "kind": kind,
                    "recipient_count": len(person_ids),
                    "audiences": [audience.label for audience in chosen],
                    "urgent": False,
                    "attachments": 1 if attachment else 0,
                },
            )
        )
        self.summary.messages += 1
        self.summary.recipients += len(person_ids)
        return message

    # The people ---------------------------------------------------------------------------

    def person(self, login: str) -> Person:
        return Account.objects.select_related("person").get(login=login).person

    def division_of(self, pupil: Person) -> Division | None:
        enrolment = (
            Enrolment.objects.on(self.today).filter(pupil=pupil).select_related("division").first()
        )
        return enrolment.division if enrolment else None

    def guardians_of(self, pupil: Person) -> list[Person]:
        return [
            link.guardian
            for link in Guardianship.objects.filter(pupil=pupil, level=ResponsibilityLevel.LEGAL)
            .select_related("guardian")
            .order_by("guardian__last_name", "guardian__first_name", "pk")
        ]

    def staff_of(self, establishment: Establishment, kind: str) -> Person:
        return (
            Role.objects.current(self.today)
            .filter(establishment=establishment, kind=kind)
            .select_related("person")
            .order_by("person__last_name", "person__first_name", "pk")
            .first()
            .person
        )

    def readers(self, person_ids, sent: datetime, share: float, skip=()) -> dict:
        """About `share` of the people read the message within two days (never after
        now); those of `skip` have not."""
        found = {}
        for person_id in sorted(person_ids):
            if person_id in skip or self.rng.random() >= share:
                continue
            moment = self.later(sent, 10, 48 * 60)
            if moment is not None:
                found[person_id] = moment
        return found

    # The build ----------------------------------------------------------------------------

    def build(self, schools: list[tuple[Establishment, SchoolYear]]) -> MessagingSummary:
        started = clock.monotonic()
        college, lycee = schools[0][0], schools[1][0]
        emma, lucas = self.person("eleve"), self.person("lyceen")
        emma_division = self.division_of(emma)
        if emma_division is None:
            # Seeded before the rentrée: nobody is enrolled yet, nothing to write about.
            return self.summary
        self.accounts = dict(
            Account.objects.filter(person__isnull=False).values_list("person_id", "pk")
        )
        parent, parent2 = self.person("parent"), self.person("parent2")
        prof, direction = self.person("prof"), self.person("direction")
        head = emma_division.head_teachers.order_by("last_name", "pk").first()
        emma_guardians = [p.pk for p in self.guardians_of(emma)]

        self.families_and_teachers(college, emma, emma_division, head, parent, parent2, prof)
        self.parents_evening(college, emma_division, direction, parent, parent2, emma_guardians)
        self.all_guardians(college, direction, parent)
        self.lucas(lycee, lucas, parent)
        self.staff_meeting(college, direction)
        for _when, _order, run in sorted(self.steps, key=lambda step: step[:2]):
            run()

        with dated_audit():
            AuditEvent.objects.bulk_create(self.audit, batch_size=BATCH)
        self.summary.seconds = clock.monotonic() - started
        return self.summary

    def families_and_teachers(self, college, emma, division, head, parent, parent2, prof):
        # parent ↔ Emma's head teacher: a meeting asked, answered, not read yet.
        if head is not None:
            asked = self.at(4, 19, 42)
            meeting = self.send(
                establishment=college,
                sender=parent,
                subject=f"Rendez-vous au sujet d'Emma ({division.name})",
                text=(
                    f"Bonjour {head.formal_name},\n\n"
                    "Emma nous dit avoir du mal à s'organiser depuis la rentrée, surtout "
                    "pour les devoirs à rendre. Serait-il possible de vous rencontrer ?\n\n"
                    "Je suis disponible :\n- le mardi après 17 h ;\n- le jeudi midi.\n\n"
                    "Bien cordialement,\nSophie Lambert"
                ),
                when=asked,
                people=[head.pk],
                concerns=emma,
                readers={head.pk: self.later(asked, 600, 900)},
            )
            self.reply(
                meeting,
                sender=head,
                text=(
                    "Bonjour Madame Lambert,\n\n"
                    "Merci pour votre message. Je vous propose **jeudi à 12 h 15**, salle "
                    "des professeurs (accueil, bâtiment A). Emma peut venir aussi si elle "
                    "le souhaite.\n\nCordialement"
                ),
                when=self.at(1, 16, 5),
            )
        # prof → Emma's guardians about a maths homework; parent answers both.
        homework = self.at(6, 17, 30)
        guardians = [p.pk for p in self.guardians_of(emma)]
        dm = self.send(
            establishment=college,
            sender=prof,
            subject="Devoir maison de mathématiques",
            text=(
                "Bonjour,\n\n"
                "Emma n'a pas rendu le *devoir maison n°3* (les fractions), attendu lundi. "
                "Elle peut me le remettre **vendredi au plus tard**.\n\n"
                "N'hésitez pas à me dire si elle a rencontré une difficulté.\n\n"
                "Mme Schmitt, professeure de mathématiques"
            ),
            when=homework,
            people=guardians,
            concerns=emma,
            readers={pk: self.later(homework, 30, 240) for pk in guardians},
        )
        answered = self.later(homework, 250, 300) or self.at(5, 20, 10)
        self.reply(
            dm,
            sender=parent,
            text=(
                "Bonjour Madame,\n\nMerci de nous avoir prévenus : Emma avait oublié son "
                "cahier chez son père. Elle vous rendra le devoir vendredi.\n\nSophie Lambert"
            ),
            when=answered,
            readers={prof.pk: self.later(answered, 600, 800)},
        )
        # eleve → prof: a question on an exercise, answered.
        question = self.at(3, 18, 20)
        exercise = self.send(
            establishment=college,
            sender=emma,
            subject="Question sur l'exercice 12 page 58",
            text=(
                "Bonjour Madame,\n\nDans l'exercice 12, faut-il simplifier les fractions "
                "à la fin ? Merci.\n\nEmma"
            ),
            when=question,
            people=[prof.pk],
            readers={prof.pk: self.later(question, 60, 180)},
        )
        answer = self.at(2, 8, 5)
        self.reply(
            exercise,
            sender=prof,
            text=(
                "Bonjour Emma,\n\nOui : donne chaque résultat sous la forme d'une "
                "**fraction irréductible**. Bon courage !"
            ),
            when=answer,
            readers={emma.pk: self.later(answer, 300, 500)},
        )
        # prof, head teacher of 3A, and the parents of one of its pupils.
        third = (
            Division.objects.filter(head_teachers=prof, establishment=college)
            .order_by("name")
            .first()
        )
        pupil = (
            Enrolment.objects.on(self.today)
            .filter(division=third)
            .select_related("pupil")
            .order_by("pupil__last_name", "pupil__first_name", "pk")
            .first()
            if third
            else None
        )
        if pupil is None:
            return
        pupil = pupil.pupil
        family = [p.pk for p in self.guardians_of(pupil)]
        if not family:
            return
        trip = self.at(8, 12, 30)
        outing = self.send(
            establishment=college,
            sender=prof,
            subject=f"Sortie de la {third.name} au Centre Pompidou-Metz",
            text=(
                f"Bonjour,\n\nLa classe de {third.name} visitera le Centre Pompidou-Metz "
                "dans deux semaines. L'autorisation de sortie de "
                f"{pupil.first_name} ne nous est pas parvenue : pouvez-vous la rapporter "
                "signée ?\n\nMerci,\nMme Schmitt, professeure principale"
            ),
            when=trip,
            people=family,
            concerns=pupil,
            readers={pk: self.later(trip, 120, 600) for pk in family},
        )
        parent_of = self.guardians_of(pupil)[0]
        back = self.later(trip, 700, 900) or self.at(7, 19, 0)
        self.reply(
            outing,
            sender=parent_of,
            text=(
                "Bonjour Madame Schmitt,\n\nL'autorisation est dans le cartable de "
                f"{pupil.first_name} depuis hier, désolés pour le retard.\n\nBonne soirée"
            ),
            when=back,
            readers={prof.pk: self.later(back, 600, 800)},
        )

    def parents_evening(self, college, division, direction, parent, parent2, emma_guardians):
        """An information with a read receipt to the guardians of Emma's division."""
        sent = self.at(3, 9, 15)
        audience = (policy.DIVISION_GUARDIANS, division.pk)
        members = set(
            audience_module.members(
                audience_module.Audience(policy.DIVISION_GUARDIANS, division_id=division.pk),
                establishment_id=college.pk,
                day=self.today,
                include_contacts=False,
            )
        )
        readers = self.readers(members, sent, 0.7, skip={parent.pk, parent2.pk})
        agenda = minimal_pdf(
            [
                f"Collège des Tilleuls — Réunion parents-professeurs de {division.name}",
                "",
                "17 h 30 : accueil par le principal, salle polyvalente",
                "17 h 45 : bilan du premier trimestre par la professeure principale",
                "18 h 15 : rencontres individuelles avec les enseignants (10 minutes)",
                "",
                "Merci d'indiquer vos disponibilités en répondant au message.",
            ]
        )
        information = self.send(
            establishment=college,
            sender=direction,
            subject=f"Réunion parents-professeurs de {division.name}",
            text=(
                "Madame, Monsieur,\n\n"
                f"Les équipes de {division.name} vous accueilleront pour la **réunion "
                "parents-professeurs** le jeudi de la semaine prochaine, de 17 h 30 à 19 h 30.\n\n"
                "Au programme :\n1. le bilan de la classe au premier trimestre ;\n"
                "2. des rencontres individuelles avec les enseignants.\n\n"
                "L'ordre du jour est joint. Merci de confirmer votre présence en répondant "
                "à ce message (votre réponse n'est lue que par la direction).\n\n"
                "Laurent Weber, principal"
            ),
            when=sent,
            audiences=[audience],
            kind=MessageKind.INFORMATION,
            read_receipt=True,
            readers=readers,
            attachment=(f"reunion-{division.name.lower()}.pdf", agenda),
        )
        # Two families answered the principal, who read them.
        for person_id, moment in sorted(readers.items(), key=lambda item: item[1])[:2]:
            answer = self.later(moment, 5, 60)
            if answer is None:
                continue
            self.reply(
                information,
                sender=Person.objects.get(pk=person_id),
                text="Bonjour,\n\nNous serons présents. Merci pour l'organisation.",
                when=answer,
                readers={direction.pk: self.later(answer, 60, 600)},
            )

    def all_guardians(self, college, direction, parent):
        sent = self.at(5, 11, 0)
        members = set(
            audience_module.members(
                audience_module.Audience(policy.ESTABLISHMENT_GUARDIANS),
                establishment_id=college.pk,
                day=self.today,
                include_contacts=False,
            )
        )
        self.send(
            establishment=college,
            sender=direction,
            subject="Brevet blanc et conseils de classe du premier trimestre",
            text=(
                "Madame, Monsieur,\n\n"
                "Le **brevet blanc** des élèves de 3e aura lieu les deux derniers jours "
                "avant les vacances de Noël ; les cours des autres niveaux sont maintenus.\n\n"
                "Les **conseils de classe** du premier trimestre se tiendront la semaine "
                "suivante. Les bulletins seront publiés dans Préau (rubrique Notes → "
                "Bulletins) et vous en serez avertis par courriel.\n\n"
                "Je vous remercie de votre confiance.\n\nLaurent Weber, principal"
            ),
            when=sent,
            audiences=[(policy.ESTABLISHMENT_GUARDIANS, "")],
            kind=MessageKind.INFORMATION,
            readers=self.readers(members, sent, 0.5, skip={parent.pk}),
        )

    def lucas(self, lycee, lucas, parent):
        cpe = self.staff_of(lycee, RoleKind.CPE)
        guardians = [p.pk for p in self.guardians_of(lucas)]
        sent = self.at(1, 10, 20)
        self.send(
            establishment=lycee,
            sender=cpe,
            subject="Retards de Lucas en début de matinée",
            text=(
                "Madame, Monsieur,\n\n"
                "Lucas est arrivé en retard à 8 h plusieurs fois ces dernières semaines "
                "(le détail est dans Préau, rubrique Vie scolaire). Pouvons-nous en parler ? "
                "Je suis joignable au bureau de la vie scolaire ou par retour de message.\n\n"
                f"{cpe.formal_name}, CPE"
            ),
            when=sent,
            people=guardians,
            concerns=lucas,
            readers={pk: self.later(sent, 60, 600) for pk in guardians if pk != parent.pk},
        )

    def staff_meeting(self, college, direction):
        sent = self.at(2, 13, 40)
        members = set(
            audience_module.members(
                audience_module.Audience(policy.ESTABLISHMENT_STAFF),
                establishment_id=college.pk,
                day=self.today,
                include_contacts=False,
            )
        )
        self.send(
            establishment=college,
            sender=direction,
            subject="Conseil pédagogique de mardi",
            text=(
                "Bonjour à toutes et à tous,\n\n"
                "Le conseil pédagogique se réunira **mardi à 17 h** en salle B12. Ordre du "
                "jour : l'organisation du brevet blanc, les projets de sorties du deuxième "
                "trimestre.\n\nLaurent Weber"
            ),
            when=sent,
            audiences=[(policy.ESTABLISHMENT_STAFF, "")],
            kind=MessageKind.DISCUSSION,
            readers=self.readers(members, sent, 0.8),
        )


def build_demo_messaging(
    *,
    schools: list[tuple[Establishment, SchoolYear]],
    seed: int,
    today: date,
    now: datetime | None = None,
) -> MessagingSummary:
    """The messages of the demo establishments (see the module's docstring); the
    collège first, then the lycée."""
    zone = ZoneInfo(schools[0][0].timezone or "Europe/Paris")
    now = now or reference_now(today, zone)
    return MessagingBuilder(seed=seed, today=today, now=now.astimezone(zone)).build(schools)
