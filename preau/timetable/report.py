"""The import report as text, for the command and for the page."""

from preau.timetable.services import ImportReport

LABELS = {
    "subjects": "matières",
    "teachers": "enseignants",
    "rooms": "salles",
    "divisions": "classes",
    "class_parts": "parties de classe",
    "groups": "groupes",
    "pupils": "élèves",
    "guardians": "responsables",
    "guardianships": "liens élève-responsable",
    "enrolments": "inscriptions en classe",
    "class_part_memberships": "appartenances à une partie de classe",
}
OVERLAPS = {"teachers": "enseignants", "rooms": "salles", "pupils": "élèves"}


# What other domains attach to occurrences (attachments.register), in words.
ATTACHMENTS = {"roll_calls": "des appels", "absences": "des absences", "homework": "des devoirs"}


def render_report(report: ImportReport) -> str:
    lines = [
        f"Import {report.format.upper()} de {report.file_name} pour {report.uai}"
        + (
            " — APERÇU, rien n'est enregistré" if report.dry_run else f" — version {report.version}"
        ),
        "",
        f"Cours : {report.counts.get('courses', 0)} ; "
        f"séances : {report.counts.get('occurrences', 0)} "
        f"(dont {report.counts.get('cancelled_in_source', 0)} annulées dans la source).",
    ]
    for key, label in LABELS.items():
        created, matched = report.created.get(key, 0), report.matched.get(key, 0)
        if created or matched:
            lines.append(f"  {label} : {created} créé(s), {matched} retrouvé(s)")
    diff = report.diff
    lines += [
        "",
        "Différences avec la version précédente"
        + (f" (v{diff['previous_version']})" if diff.get("previous_version") else " (aucune)")
        + f" : {diff.get('added', 0)} séances ajoutées, {diff.get('changed', 0)} modifiées, "
        f"{diff.get('withdrawn', 0)} retirées, {diff.get('unchanged', 0)} inchangées.",
    ]
    for example in diff.get("changed_examples", [])[:10]:
        lines.append(f"  modifiée : {example['occurrence']} ({', '.join(example['changes'])})")
    for example in diff.get("withdrawn_examples", [])[:10]:
        lines.append(f"  retirée : {example}")
    attached = diff.get("withdrawn_with_attachments") or {}
    if attached:
        lines.append(
            "  À revoir : des séances retirées portent "
            + ", ".join(
                f"{ATTACHMENTS.get(label, label)} ({count})" for label, count in attached.items()
            )
            + " ; elles leur restent attachées."
        )
        for example in diff.get("withdrawn_attached_examples", [])[:10]:
            lines.append(f"    {example}")
    lines += ["", "Contrôles :"]
    lines.append(f"  cours sans ressource : {report.counts.get('courses_without_resources', 0)}")
    for course in report.courses_without_resources[:10]:
        lines.append(f"    {course}")
    lines.append(f"  séances hors de l'année scolaire (non créées) : {report.outside_year}")
    lines.append(f"  noms inconnus : {report.counts.get('unknown_names', 0)}")
    for name in report.unknown_names[:10]:
        lines.append(f"    {name}")
    lines.append(f"  élèves sans classe : {report.counts.get('pupils_without_division', 0)}")
    for name in report.pupils_without_division[:10]:
        lines.append(f"    {name}")
    for kind, label in OVERLAPS.items():
        found = report.overlaps.get(kind, {"count": 0, "examples": []})
        lines.append(f"  {label} à deux séances à la fois : {found['count']}")
        for example in found["examples"][:5]:
            lines.append(f"    {example['who']} le {example['start'][:16].replace('T', ' à ')}")
    for problem in report.problems:
        lines.append(f"  {problem['where']} : {problem['message']}")
    lines.append("")
    lines.append(f"Durée : {report.seconds} s.")
    return "\n".join(lines) + "\n"
