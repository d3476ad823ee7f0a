"""The model's `cached_property`: computed once per object, stored on frozen dataclasses too."""

from dataclasses import FrozenInstanceError, dataclass

import pytest

from generator.model import MetadataHeader, HeaderField, Migration, Operation, cached_property


@dataclass(frozen=True)
class Box:
    value: int

    @cached_property
    def doubled(self) -> int:
        """Twice the value."""
        calls.append(self.value)
        return self.value * 2


calls: list[int] = []


def test_the_value_is_computed_once_per_object_and_kept_apart_from_others():
    calls.clear()
    one, two = Box(1), Box(2)
    assert (one.doubled, one.doubled, two.doubled, one.doubled) == (2, 2, 4, 2)
    assert calls == [1, 2]
    assert one == Box(1) and hash(one) == hash(Box(1))  # the stored value is no field
    with pytest.raises(FrozenInstanceError):
        one.value = 3
    assert Box.doubled.__doc__ == "Twice the value." and isinstance(Box.__dict__["doubled"], cached_property)


def test_migrations_and_headers_answer_from_their_cached_indexes():
    header = MetadataHeader((HeaderField("RISK_LEVEL", "High", 3), HeaderField("RISK_LEVEL", "Low", 4)), 1)
    up = Operation(kind="drop_table", call="op.drop_table", function="upgrade", line=5, end_line=5, column=5)
    down = Operation(kind="create_table", call="op.create_table", function="downgrade", line=9, end_line=9, column=5)
    migration = Migration(path="v/a1.py", revision="a1", down_revisions=(), header=header, operations=(up, down))
    assert header.get("RISK_LEVEL") == "High"  # the first of duplicated keys wins
    assert migration.upgrade_operations() == (up,) and migration.downgrade_operations() == (down,)
    assert migration.upgrade_operations() is migration.upgrade_operations()
