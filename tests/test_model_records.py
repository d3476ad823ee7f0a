"""The model's `record`: a frozen dataclass whose constructor behaves exactly like the one
`dataclass(frozen=True)` writes, for every record class the model defines."""

import dataclasses
import inspect
import pickle

import pytest

from generator import model
from generator.model import History, Location, Migration, Operation, record

RECORDS = sorted(
    (cls for cls in vars(model).values()
     if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__),
    key=lambda cls: cls.__name__,
)


def _plain_twin(cls: type) -> type:
    """The same fields, defaults and factories, made by `dataclasses` alone."""
    fields = []
    for f in dataclasses.fields(cls):
        options = {}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        fields.append((f.name, f.type, dataclasses.field(**options)))
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True)


def _required(cls: type) -> dict:
    return {f.name: f"value of {f.name}" for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


def test_every_model_class_is_a_record():
    assert len(RECORDS) >= 20
    assert all(cls.__setattr__ is record(type("Probe", (), {})).__setattr__ for cls in RECORDS)
    assert all(cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__" for cls in RECORDS)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_the_constructor_takes_the_dataclass_parameters_and_fills_the_same_fields(cls):
    twin = _plain_twin(cls)
    ours, theirs = inspect.signature(cls).parameters, inspect.signature(twin).parameters
    assert list(ours) == list(theirs)
    for name in ours:
        has_default = ours[name].default is not inspect.Parameter.empty
        assert has_default == (theirs[name].default is not inspect.Parameter.empty), name
    required = _required(cls)
    made, reference = cls(**required), twin(**required)
    assert vars(made) == vars(reference)  # same values, defaults and factory results included
    assert list(vars(made)) == [f.name for f in dataclasses.fields(cls)]  # in field order
    positional = cls(*required.values())
    assert positional == made
    assert repr(made) == repr(reference)
    assert made != reference  # a record equals only its own kind, as a dataclass does
    try:
        expected = hash(reference)
    except TypeError:  # a record holding a dict is no more hashable than its twin
        with pytest.raises(TypeError):
            hash(made)
    else:
        assert hash(made) == hash(positional) == expected
    first = dataclasses.fields(cls)[0].name
    for change in (lambda o: setattr(o, first, "changed"), lambda o: delattr(o, first),
                   lambda o: setattr(o, "not_a_field", 1)):
        for thing in (made, reference):  # refused as the frozen dataclass refuses it
            with pytest.raises(dataclasses.FrozenInstanceError):
                change(thing)
    assert vars(made)[first] == required.get(first, getattr(reference, first))


def test_wrong_arguments_are_refused_like_a_dataclass_refuses_them():
    with pytest.raises(TypeError, match="missing 5 required positional arguments"):
        Operation("drop_table")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Operation("drop_table", "op.drop_table", "upgrade", 1, 1, 1, colour="red")
    with pytest.raises(TypeError, match="multiple values"):
        Location("a.py", path="b.py")


def test_defaults_made_by_a_factory_are_made_anew_for_each_object():
    one, two = History(status="ok"), History(status="ok")
    assert one.files == {} and one.files is not two.files
    passed = {"v/a.py": model.FileHistory("v/a.py")}
    assert History(status="ok", files=passed).files is passed


def test_replace_pickle_order_and_hash_are_the_dataclass_ones():
    op = Operation(kind="drop_table", call="op.drop_table", function="upgrade", line=4, end_line=4, column=5,
                   table="users", arguments=(("0", '"users"'),))
    assert pickle.loads(pickle.dumps(op)) == op
    assert dataclasses.replace(op, table="events").table == "events" and op.table == "users"
    assert len({op, dataclasses.replace(op)}) == 1
    migration = Migration(path="v/a1.py", revision="a1", down_revisions=(), operations=(op,))
    assert pickle.loads(pickle.dumps(migration)).upgrade_operations() == (op,)
    assert sorted([Location("b.py", 1), Location("a.py", 9), Location("a.py", 2)]) == [
        Location("a.py", 2), Location("a.py", 9), Location("b.py", 1)]


def test_a_record_refuses_fields_its_constructor_cannot_take():
    with pytest.raises(TypeError, match="plain init fields"):
        @record
        class Odd:
            shown: int
            hidden: int = dataclasses.field(default=0, init=False)


def test_a_record_calls_its_post_init_check_however_it_is_made():
    @record
    class Checked:
        """Refuses a negative value."""

        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert Checked(1).value == 1
    for make in (lambda: Checked(-1), lambda: dataclasses.replace(Checked(1), value=-2)):
        with pytest.raises(ValueError, match="negative"):
            make()
    with pytest.raises(TypeError, match="plain init fields"):
        @record
        class Hidden:
            value: int = dataclasses.field(init=False, default=0)


def test_the_configuration_is_a_record_that_checks_its_ticket_pattern_on_replace():
    from generator.config import Config, ConfigError

    assert Config.__setattr__ is record(type("Probe", (), {})).__setattr__
    with pytest.raises(ConfigError, match="ticket_pattern"):
        dataclasses.replace(Config(), ticket_pattern="(a+)+$")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().sql_dialect = "mysql"


def test_ordering_compares_the_fields_in_order_like_an_ordered_dataclass():
    twin = dataclasses.make_dataclass("Location", [(f.name, f.type, dataclasses.field(default=f.default))
                                                   if f.default is not dataclasses.MISSING else (f.name, f.type)
                                                   for f in dataclasses.fields(Location)], frozen=True, order=True)
    pairs = [(("a.py", 2), ("a.py", 10)), (("b.py", 1), ("a.py", 9)), (("a.py", 3), ("a.py", 3))]
    for left, right in pairs:
        for compare in ("__lt__", "__le__", "__gt__", "__ge__"):
            ours = getattr(Location(*left), compare)(Location(*right))
            assert ours == getattr(twin(*left), compare)(twin(*right)), (left, right, compare)
    assert Location("a.py").__lt__(twin("a.py")) is NotImplemented
    with pytest.raises(TypeError):
        Location("a.py") < "a.py"


def test_a_record_without_a_docstring_is_documented_by_its_fields_without_asking_inspect(monkeypatch):
    def no_signature(*args, **kwargs):
        raise AssertionError("inspect.signature called")

    monkeypatch.setattr(inspect, "signature", no_signature)

    @record
    class Pair:
        left: int
        right: str = "r"

    assert Pair.__doc__ == "Pair(left, right)"
    assert Pair(1) == Pair(1, "r") and hash(Pair(1)) == hash((1, "r"))


def test_methods_a_record_writes_itself_are_kept():
    @record
    class Shown:
        """A record with its own repr."""

        value: int

        def __repr__(self) -> str:
            return f"<{self.value}>"

    assert repr(Shown(3)) == "<3>" and Shown.__doc__ == "A record with its own repr."


def test_records_of_one_field_and_of_none_compare_and_hash_as_tuples():
    @record
    class One:
        """One field."""

        value: int

    @record
    class Empty:
        """No field."""

    assert One(3) == One(3) != One(4) and hash(One(3)) == hash((3,))
    assert Empty() == Empty() and hash(Empty()) == hash(()) and repr(Empty()) == "test_records_of_one_field_and_of_none_compare_and_hash_as_tuples.<locals>.Empty()"
