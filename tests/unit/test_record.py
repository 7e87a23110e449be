"""cardguard.record: the part of dataclasses the start-up path uses, without importing them."""

from __future__ import annotations

import pytest

from cardguard.record import Record, factory


class Point(Record):
    x: int
    y: int = 0
    tags: list[str] = factory(list)
    note: dict = factory(dict, compare=False)


class FrozenPoint(Record, frozen=True):
    x: int
    y: int = 0


class Point3(Point):
    z: int = 0


def test_construction_by_position_keyword_and_default() -> None:
    assert Point(1, 2).fields() == ("x", "y", "tags", "note")
    assert (Point(1, 2).x, Point(1, 2).y) == (1, 2)
    assert Point(x=1).y == 0
    assert Point(1).tags == [] and Point(1).tags is not Point(1).tags  # a fresh list each time


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [((), {}, "missing the argument 'x'"), ((1, 2, [], {}, 5), {}, "takes 4 arguments"),
     ((1,), {"x": 2}, "repeated argument 'x'"), ((1,), {"w": 2}, "unexpected argument 'w'")],
)
def test_wrong_arguments_are_type_errors(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_equality_skips_fields_marked_not_compared() -> None:
    assert Point(1, 2, ["a"], {"n": 1}) == Point(1, 2, ["a"], {"n": 2})
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != FrozenPoint(1, 2)  # another class, as dataclasses
    assert Point3(1, 2, z=3) != Point3(1, 2, z=4)


def test_repr_names_every_field() -> None:
    assert repr(FrozenPoint(1, 2)) == "FrozenPoint(x=1, y=2)"


def test_frozen_records_refuse_assignment_and_hash_by_value() -> None:
    point = FrozenPoint(1, 2)
    with pytest.raises(AttributeError, match="frozen"):
        point.x = 5
    assert hash(point) == hash(FrozenPoint(1, 2))
    assert len({FrozenPoint(1, 2), FrozenPoint(1, 2), FrozenPoint(2, 2)}) == 2


def test_mutable_records_are_unhashable_and_assignable() -> None:
    point = Point(1)
    point.x = 7
    assert point.x == 7
    with pytest.raises(TypeError):
        hash(point)


def test_replace_copies_with_changes() -> None:
    point = FrozenPoint(1, 2)
    assert point.replace(y=5) == FrozenPoint(1, 5)
    assert point == FrozenPoint(1, 2)


def test_subclass_fields_follow_inherited_ones() -> None:
    assert Point3.fields() == ("x", "y", "tags", "note", "z")
    assert Point3(1, z=3).z == 3


def test_a_field_without_default_after_one_with_default_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):
        class Broken(Record):
            a: int = 0
            b: int


def test_post_init_runs_after_the_fields_are_set() -> None:
    class Sized(Record):
        items: list = factory(list)

        def __post_init__(self) -> None:
            self.count = len(self.items)

    assert Sized([1, 2]).count == 2


def test_records_with_one_or_no_compared_field() -> None:
    class One(Record, frozen=True):
        x: int

    class Uncompared(Record):
        note: dict = factory(dict, compare=False)

    assert One(1) == One(1) and One(1) != One(2) and hash(One(1)) == hash(One(1))
    assert Uncompared({"a": 1}) == Uncompared({"b": 2})


def test_given_values_win_over_defaults_and_factories_by_position_or_keyword() -> None:
    tags = ["a"]
    assert Point(1, 2, tags).tags is tags
    assert Point(1, tags=tags).tags is tags
    assert Point(y=3, x=1).y == 3 and Point(y=3, x=1).note == {}
    assert Point3(1, z=4).z == 4 and Point3(1).z == 0 and Point3(1).tags == []


def test_instance_holds_exactly_its_fields_in_declaration_order() -> None:
    assert list(vars(Point(y=5, x=1))) == ["x", "y", "tags", "note"]
    assert list(vars(Point3(1, z=2))) == ["x", "y", "tags", "note", "z"]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [((), {"y": 1}, "missing the argument 'x'"), ((1,), {"y": 1, "x": 2}, "repeated argument 'x'"),
     ((), {"x": 1, "w": 2}, "unexpected argument 'w'"), ((), {"w": 2}, "missing the argument 'x'")],
)
def test_keywords_that_do_not_fit_name_the_first_problem(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)
