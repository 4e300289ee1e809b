"""A small collège for the messaging tests: two divisions, a group, staff of every
kind, pupils and their families (and a person of another establishment); e-mail
backends that fail; a real SMTP server."""

import email
import socket
from email import policy as email_policy

from aiosmtpd.controller import Controller
from django.test import override_settings

from preau.core.models import Person, ResponsibilityLevel, RoleKind
from tests.factories import (
    DivisionFactory,
    GroupFactory,
    GroupMembershipFactory,
    PersonFactory,
    division_service,
    group_service,
    guardian_account,
    pupil_in,
    staff_account,
)


class School:
    """4A (Emma, Hugo) taught maths by `teacher`; 4B (Léa) taught by `other_teacher`;
    the Latin group (Léa, directly) taught by `teacher`. Emma's mother and father
    (separated, each their own account), her grandmother (level 2); Hugo's father;
    Léa's mother. A direction, a CPE, a secretariat."""

    def __init__(self):
        self.division = DivisionFactory(name="4A", level="4E")
        self.establishment = self.division.establishment
        self.year = self.division.school_year
        self.division_b = DivisionFactory(
            name="4B", level="4E", school_year=self.year, establishment=self.establishment
        )
        self.direction = staff_account(
            self.establishment, RoleKind.DIRECTION, last_name="Direction"
        )
        self.cpe = staff_account(self.establishment, RoleKind.CPE, last_name="Cpe")
        self.secretariat = staff_account(
            self.establishment, RoleKind.SECRETARIAT, last_name="Secretariat"
        )
        self.teacher = staff_account(self.establishment, last_name="Petit")
        self.other_teacher = staff_account(self.establishment, last_name="Grand")
        self.maths = division_service(self.division, self.teacher.person)
        self.maths_b = division_service(self.division_b, self.other_teacher.person)
        self.emma = pupil_in(self.division, account=True, first_name="Emma")
        self.hugo = pupil_in(self.division, account=True, first_name="Hugo")
        self.lea = pupil_in(self.division_b, account=True, first_name="Léa")
        self.latin = GroupFactory(
            name="Latin", school_year=self.year, establishment=self.establishment
        )
        GroupMembershipFactory(group=self.latin, pupil=self.lea)
        self.latin_service = group_service(self.latin, self.teacher.person)
        self.mother = guardian_account(self.emma)
        self.father = guardian_account(self.emma)
        self.grandmother = guardian_account(self.emma, level=ResponsibilityLevel.IN_CHARGE)
        self.hugo_father = guardian_account(self.hugo)
        self.lea_mother = guardian_account(self.lea)
        self.elsewhere = staff_account(DivisionFactory().establishment, RoleKind.DIRECTION)

    def account(self, person: Person):
        return person.account

    @property
    def staff(self):
        return [self.direction, self.cpe, self.secretariat, self.teacher, self.other_teacher]


def guardians(division, count: int) -> list[Person]:
    """`count` pupils enrolled in `division`, each with one legal guardian (with an
    e-mail address); returns the guardians."""
    from tests.factories import GuardianshipFactory

    found = []
    for _ in range(count):
        pupil = pupil_in(division)
        guardian = PersonFactory()
        GuardianshipFactory(guardian=guardian, pupil=pupil)
        found.append(guardian)
    return found


class DownBackend:
    """An e-mail backend whose server never answers."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class PickyBackend:
    """Refuses the recipients whose address starts with "refuse", sends the others
    to Django's test outbox."""

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend()

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        import smtplib

        for message in messages:
            if message.to[0].startswith("refuse"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return self.inner.send_messages(messages)


def bulk_families(division, count: int) -> list[int]:
    """`count` pupils enrolled in `division`, each with one legal guardian with an
    address, inserted in bulk; returns the guardians' ids."""
    from preau.core.models import Guardianship, Role
    from preau.structure.models import Enrolment

    start = division.school_year.start_date
    pupils = Person.objects.bulk_create(
        Person(last_name=f"Élève{n:05d}", first_name="Camille") for n in range(count)
    )
    Role.objects.bulk_create(
        Role(person=pupil, establishment=division.establishment, kind=RoleKind.PUPIL)
        for pupil in pupils
    )
    Enrolment.objects.bulk_create(
        Enrolment(pupil=pupil, division=division, start_date=start) for pupil in pupils
    )
    parents = Person.objects.bulk_create(
        Person(last_name=f"Parent{n:05d}", first_name="Dominique", email=f"parent{n}@exemple.fr")
        for n in range(count)
    )
    Guardianship.objects.bulk_create(
        Guardianship(guardian=parent, pupil=pupil)
        for parent, pupil in zip(parents, pupils, strict=True)
    )
    return [parent.pk for parent in parents]


# A real SMTP server for the tests (aiosmtpd) --------------------------------------------


class Inbox:
    """The aiosmtpd handler: keeps every message received."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email_policy.default)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self):
        return override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=self.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=5,
        )
