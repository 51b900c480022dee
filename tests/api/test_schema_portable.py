"""One OpenAPI document whatever the database.

Django asks the connection for each integer model field's range and DRF turns it into the
schema's bounds: SQLite answered 64 bits for every kind (``format: int64``, 9223372036854775807),
PostgreSQL the column's size. The schema now gives the field kind's portable range on both.
"""

from __future__ import annotations

from tests.api.conftest import schema


def _property(component: str, name: str) -> dict:
    return schema()["components"]["schemas"][component]["properties"][name]


def test_integer_bounds_are_the_field_kinds_not_the_backends(db):
    positive = _property("EvaluationVersion", "lock_version")  # PositiveIntegerField
    assert (positive["minimum"], positive["maximum"]) == (0, 2147483647)
    assert "format" not in positive
    big = _property("CaseDetail", "value_low_usd")  # BigIntegerField: 64 bits on every backend
    assert big["format"] == "int64"
    components = schema()["components"]["schemas"]
    small = [
        prop
        for component in components.values()
        for prop in component.get("properties", {}).values()
        if prop.get("maximum") == 32767
    ]
    assert small, "the SmallIntegerField/PositiveSmallIntegerField bounds are PostgreSQL's on every backend"
