"""Who may write to whom, when notifications may be pushed, how much a family may
send: the rules of messaging.md as pure functions (no database), decided here for the
pages, the API and the demo alike (`services` gathers the facts and calls them).

The sender acts in one establishment with *capacities* (direction, vie scolaire,
teacher, guardian, pupil: a teacher may also be a parent there); a target is a person
or an audience with *categories* and the links between them and the sender. A target
is allowed when one capacity allows one of its categories; otherwise the refusal says
why, in French, for the person who tried.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

# Capacities of a sender, and categories of a target.
DIRECTION = "direction"  # direction and secretariat
VIE_SCOLAIRE = "vie_scolaire"  # CPE and assistants d'éducation
TEACHER = "teacher"
GUARDIAN = "guardian"  # legal guardian (levels 2-3 too when the establishment says so)
PUPIL = "pupil"

STAFF = frozenset({DIRECTION, VIE_SCOLAIRE, TEACHER})
# When several capacities refuse, the reason given is the first one's in this order.
ORDER = (DIRECTION, VIE_SCOLAIRE, TEACHER, GUARDIAN, PUPIL)

# Audience types (models.AudienceType values), and who they reach.
DIVISION_GUARDIANS = "division_guardians"
DIVISION_PUPILS = "division_pupils"
DIVISION_TEACHERS = "division_teachers"
LEVEL_GUARDIANS = "level_guardians"
ESTABLISHMENT_GUARDIANS = "establishment_guardians"
ESTABLISHMENT_STAFF = "establishment_staff"
GROUP_PUPILS = "group_pupils"
AUDIENCE_CATEGORY = {
    DIVISION_GUARDIANS: GUARDIAN,
    DIVISION_PUPILS: PUPIL,
    DIVISION_TEACHERS: TEACHER,
    LEVEL_GUARDIANS: GUARDIAN,
    ESTABLISHMENT_GUARDIANS: GUARDIAN,
    ESTABLISHMENT_STAFF: TEACHER,
    GROUP_PUPILS: PUPIL,
}
AUDIENCES = tuple(AUDIENCE_CATEGORY)


@dataclass(frozen=True)
class Rules:
    """The switches of `models.MessagingPolicy` (defaults: messaging.md)."""

    teachers_to_guardians: bool = True
    teachers_to_pupils: bool = True
    guardians_to_teachers: bool = True
    guardians_to_vie_scolaire: bool = True
    guardians_to_direction: bool = True
    delegates_to_guardians: bool = False
    pupils_to_teachers: bool = True
    pupils_to_vie_scolaire: bool = True
    pupils_to_direction: bool = False
    pupils_to_pupils: bool = False
    emergency_staff_only: bool = False

    @classmethod
    def of(cls, policy) -> "Rules":
        return cls(**{name: getattr(policy, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Sender:
    capacities: frozenset[str]
    # A guardian who is the elected parent delegate of a division.
    delegate: bool = False

    @property
    def staff(self) -> bool:
        return bool(self.capacities & STAFF)


@dataclass(frozen=True)
class Target:
    """A person (`audience` None) or an audience, with what links them to the sender:

    - `taught`: the sender teaches them (a pupil they teach, a guardian of one, a
      division or group they teach);
    - `teaches_family`: they teach the sender or one of the sender's children;
    - `same_division`: a pupil of the sending pupil's division, a guardian (or the
      guardians) of the delegate's division.
    """

    categories: frozenset[str]
    audience: str | None = None
    taught: bool = False
    teaches_family: bool = False
    same_division: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


YES = Decision(True)


def no(reason: str) -> Decision:
    return Decision(False, reason)


EMERGENCY = (
    "La direction a restreint la messagerie aux personnels de l'établissement (mode "
    "urgence) : vous ne pouvez pas envoyer de message pour le moment."
)
NO_CAPACITY = "Vous n'avez pas de rôle dans cet établissement qui permette d'y écrire."
UNKNOWN_TARGET = "Ce destinataire n'est pas joignable dans cet établissement."
CLOSED = "L'établissement ne le permet pas."


def person_for(
    *, capacity: str, category: str, target: Target, sender: Sender, rules: Rules
) -> Decision:
    """May `capacity` write to one person of `category`?"""
    if capacity in (DIRECTION, VIE_SCOLAIRE):
        return YES
    if capacity == TEACHER:
        if category in STAFF:
            return YES
        if category == GUARDIAN:
            if not rules.teachers_to_guardians:
                return no("L'établissement ne permet pas aux enseignants d'écrire aux familles.")
            if target.taught:
                return YES
            return no(
                "Un enseignant écrit aux responsables des élèves qu'il a en classe ; "
                "ce responsable n'en fait pas partie."
            )
        if not rules.teachers_to_pupils:
            return no("L'établissement ne permet pas aux enseignants d'écrire aux élèves.")
        if target.taught:
            return YES
        return no(
            "Un enseignant écrit aux élèves qu'il a en classe ; cet élève n'en fait pas partie."
        )
    if capacity == GUARDIAN:
        if category == TEACHER:
            if not rules.guardians_to_teachers:
                return no("L'établissement ne permet pas aux familles d'écrire aux enseignants.")
            if target.teaches_family:
                return YES
            return no("Vous pouvez écrire aux enseignants de vos enfants, pas à cet enseignant.")
        if category == VIE_SCOLAIRE:
            if rules.guardians_to_vie_scolaire:
                return YES
            return no("L'établissement ne permet pas aux familles d'écrire à la vie scolaire.")
        if category == DIRECTION:
            if rules.guardians_to_direction:
                return YES
            return no("L'établissement ne permet pas aux familles d'écrire à la direction.")
        if category == GUARDIAN:
            if sender.delegate and rules.delegates_to_guardians and target.same_division:
                return YES
            return no("Un responsable ne peut pas écrire à un autre responsable.")
        return no("Un responsable ne peut pas écrire à un élève.")
    # PUPIL
    if category == TEACHER:
        if not rules.pupils_to_teachers:
            return no("L'établissement ne permet pas aux élèves d'écrire aux enseignants.")
        if target.teaches_family:
            return YES
        return no("Vous pouvez écrire à vos enseignants, pas à cet enseignant.")
    if category == VIE_SCOLAIRE:
        if rules.pupils_to_vie_scolaire:
            return YES
        return no("L'établissement ne permet pas aux élèves d'écrire à la vie scolaire.")
    if category == DIRECTION:
        if rules.pupils_to_direction:
            return YES
        return no("Un élève écrit à ses enseignants et à la vie scolaire, pas à la direction.")
    if category == PUPIL:
        if rules.pupils_to_pupils and target.same_division:
            return YES
        return no("Un élève ne peut pas écrire à d'autres élèves.")
    return no("Un élève ne peut pas écrire à un responsable.")


def audience_for(*, capacity: str, target: Target, sender: Sender, rules: Rules) -> Decision:
    """May `capacity` write to a whole audience?"""
    audience = target.audience
    if capacity in (DIRECTION, VIE_SCOLAIRE):
        return YES
    if capacity == TEACHER:
        if audience in (DIVISION_TEACHERS, ESTABLISHMENT_STAFF):
            return YES
        if audience in (LEVEL_GUARDIANS, ESTABLISHMENT_GUARDIANS):
            return no(
                "Un enseignant écrit aux responsables des classes qu'il a en charge, pas à "
                "tout un niveau ni à tout l'établissement."
            )
        if audience == DIVISION_GUARDIANS and not rules.teachers_to_guardians:
            return no("L'établissement ne permet pas aux enseignants d'écrire aux familles.")
        if audience in (DIVISION_PUPILS, GROUP_PUPILS) and not rules.teachers_to_pupils:
            return no("L'établissement ne permet pas aux enseignants d'écrire aux élèves.")
        if target.taught:
            return YES
        return no("Un enseignant écrit aux classes et aux groupes qu'il a en charge.")
    if capacity == GUARDIAN:
        if (
            audience == DIVISION_GUARDIANS
            and sender.delegate
            and rules.delegates_to_guardians
            and target.same_division
        ):
            return YES
        return no(
            "Un responsable ne peut pas écrire à un ensemble de destinataires (classe, "
            "niveau, établissement) : choisissez des personnes."
        )
    return no(
        "Un élève ne peut pas écrire à un ensemble de destinataires : choisissez des personnes."
    )


def decide(sender: Sender, target: Target, rules: Rules) -> Decision:
    """Whether `sender` may write to `target`, with the reason when not."""
    if rules.emergency_staff_only and not sender.staff:
        return no(EMERGENCY)
    capacities = [capacity for capacity in ORDER if capacity in sender.capacities]
    if not capacities:
        return no(NO_CAPACITY)
    if target.audience is None and not target.categories:
        return no(UNKNOWN_TARGET)
    first: Decision | None = None
    for capacity in capacities:
        if target.audience is not None:
            decisions = [audience_for(capacity=capacity, target=target, sender=sender, rules=rules)]
        else:
            decisions = [
                person_for(
                    capacity=capacity, category=category, target=target, sender=sender, rules=rules
                )
                for category in ORDER
                if category in target.categories
            ]
        for decision in decisions:
            if decision:
                return decision
            if first is None:
                first = decision
    return first if first is not None else no(UNKNOWN_TARGET)


def may_send(sender: Sender, rules: Rules) -> Decision:
    """Whether `sender` may send anything at all (the emergency switch)."""
    if rules.emergency_staff_only and not sender.staff:
        return no(EMERGENCY)
    if not sender.capacities:
        return no(NO_CAPACITY)
    return YES


def may_flag_urgent(sender: Sender) -> Decision:
    if DIRECTION in sender.capacities:
        return YES
    return no("Seule la direction peut marquer un message comme urgent.")


# -- Rate limits (non-staff senders) -------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What the sender sent in the last hour and the last 24 hours."""

    messages_last_hour: int = 0
    recipients_last_day: int = 0


@dataclass(frozen=True)
class Limits:
    messages_per_hour: int = 20
    recipients_per_day: int = 200


def within_limits(sender: Sender, usage: Usage, new_recipients: int, limits: Limits) -> Decision:
    """Families and pupils send at most `messages_per_hour` messages an hour and write
    to at most `recipients_per_day` people in 24 hours; staff have no limit."""
    if sender.staff:
        return YES
    if usage.messages_last_hour + 1 > limits.messages_per_hour:
        return no(
            f"Vous avez envoyé {usage.messages_last_hour} messages en une heure, la limite "
            f"de l'établissement est {limits.messages_per_hour} : réessayez un peu plus tard."
        )
    if usage.recipients_last_day + new_recipients > limits.recipients_per_day:
        return no(
            f"Ce message porterait à {usage.recipients_last_day + new_recipients} le nombre de "
            f"destinataires en 24 heures, la limite de l'établissement est "
            f"{limits.recipients_per_day} : réessayez demain ou réduisez la liste."
        )
    return YES


# -- Quiet hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """The nightly window [start, end) — 20:00 to 07:00 — and the weekend, from Friday
    at `start` to Monday at `end` (circulaire of 10 July 2025)."""

    start: time = time(20, 0)
    end: time = time(7, 0)
    enabled: bool = True
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))


def _in_window(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def quiet_until(moment: datetime, quiet: QuietHours) -> datetime | None:
    """The end of the quiet period `moment` (aware, in the establishment's zone) falls
    in, or None when notifications may go now."""
    if not quiet.enabled:
        return None
    zone = moment.tzinfo
    released = moment
    for _step in range(5):
        day = released.date()
        if day.weekday() in quiet.weekend:
            # Saturday and Sunday (and Friday night through the nightly window).
            days = next(n for n in range(1, 8) if (day + timedelta(days=n)).weekday() == 0)
            released = datetime.combine(day + timedelta(days=days), quiet.end, tzinfo=zone)
            continue
        if _in_window(released.time(), quiet.start, quiet.end):
            ends_tomorrow = quiet.start > quiet.end and released.time() >= quiet.start
            released = datetime.combine(day + timedelta(days=ends_tomorrow), quiet.end, tzinfo=zone)
            continue
        break
    return None if released == moment else released


def needs_quiet(*, recipient_staff: bool, urgent: bool) -> bool:
    """Quiet hours protect families and pupils; staff, and urgent messages of the
    direction, are notified at once."""
    return not recipient_staff and not urgent


# -- Retries -------------------------------------------------------------------------------

MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4… minutes, at
    most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
