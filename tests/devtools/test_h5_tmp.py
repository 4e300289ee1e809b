import time, hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import preau.devtools.demo as demo_module
from preau.devtools.demo import build_demo
from preau.grades.models import Mark


def test_time(db):
    real = demo_module.build_demo_grades
    def wrapped(**kw):
        c, w = time.process_time(), time.monotonic()
        r = real(**kw)
        print("grades cpu", time.process_time() - c, "wall", time.monotonic() - w, r)
        return r
    demo_module.build_demo_grades = wrapped
    build_demo(small=False, now=datetime(2027, 2, 2, 10, 40, tzinfo=ZoneInfo("Europe/Paris")))
    rows = Mark.objects.order_by("evaluation__service__division__name", "evaluation__date", "evaluation__title", "pupil__last_name", "pupil__first_name", "pupil__birth_date").values_list("pupil__last_name", "pupil__first_name", "evaluation__title", "value", "code")
    print("digest", hashlib.md5(repr([(a, b, c, str(d), e) for a, b, c, d, e in rows]).encode()).hexdigest())
