from ninja import Schema


class EstablishmentOut(Schema):
    uai: str
    name: str


class RoleOut(Schema):
    role: str
    establishment: EstablishmentOut | None


class ChildOut(Schema):
    id: int
    display_name: str
    establishment: EstablishmentOut
    division: str | None


class MeOut(Schema):
    id: int
    display_name: str
    roles: list[RoleOut]
    children: list[ChildOut]


class DivisionOut(Schema):
    id: int
    name: str
    level: str
    pupil_count: int
