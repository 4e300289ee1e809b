"""What the home pages show, one module per part, each a fixed number of queries
whatever the size of the establishment and, for a family, the number of children:

- `cards`: the card of a pupil's days (the family's, one per child; the pupil's own);
- `pupil`: the teachers of the pupil's subjects;
- `staff`: a teacher's day and grade books, the vie scolaire's and direction's day;
- `figures`: the establishment's figures.
"""

from preau.portal.selectors.cards import DayCard, Reader, child_readers, day_cards, own_reader
from preau.portal.selectors.figures import (
    EstablishmentFigures,
    establishment_figures,
    space_establishment,
)
from preau.portal.selectors.pupil import pupil_services
from preau.portal.selectors.staff import DeskHome, TeacherHome, desk_home, teacher_home

__all__ = [
    "DayCard",
    "DeskHome",
    "EstablishmentFigures",
    "Reader",
    "TeacherHome",
    "child_readers",
    "day_cards",
    "desk_home",
    "establishment_figures",
    "own_reader",
    "pupil_services",
    "space_establishment",
    "teacher_home",
]
