"""One exception hierarchy: every sgperms exception is a SgpermsError and
says what went wrong in a word, `.kind`."""

import pickle

import pytest

import sgperms
import sgperms.folder

TABLE = "kind,entity_type,name,action,artist\nentity,Asset,,see,yes\n"


@pytest.mark.parametrize(
    "name, builtin",
    [
        ("CsvError", ValueError),
        ("TableError", ValueError),
        ("NormalizeError", ValueError),
        ("TierError", ValueError),
        ("FolderError", OSError),
        ("ProbeAborted", RuntimeError),
        ("PermissionDenied", PermissionError),
    ],
)
def test_every_exception_is_a_sgperms_error_and_a_builtin_one(name, builtin):
    cls = getattr(sgperms, name)
    assert name in sgperms.__all__
    assert issubclass(cls, sgperms.SgpermsError) and issubclass(cls, builtin)
    assert issubclass(sgperms.SgpermsError, Exception)
    assert not issubclass(sgperms.FormulaWarning, sgperms.SgpermsError)
    assert sgperms.folder.FolderError is sgperms.FolderError


def test_python_subclasses_name_their_kind():
    assert sgperms.ProbeAborted("stopped").kind == "probe_aborted"
    assert sgperms.PermissionDenied.kind == "permission_denied"

    class MyError(sgperms.SgpermsError):
        pass

    class Chosen(sgperms.SgpermsError):
        kind = "chosen"

    assert MyError().kind == "my_error" and Chosen().kind == "chosen"


def raised(call, *args, **kwargs):
    with pytest.raises(sgperms.SgpermsError) as info:
        call(*args, **kwargs)
    return info.value


def test_errors_from_the_core_carry_the_variant_as_kind(tmp_path):
    t = sgperms.read_csv(TABLE)
    cases = [
        (raised(sgperms.read_csv, "kind,entity_type,name,action,artist\nentity,Asset,,see,maybe\n"),
         sgperms.CsvError, "unknown_value"),
        (raised(sgperms.read_csv, TABLE + "entity,Asset,,see,no\n"), sgperms.CsvError, "conflicting_values"),
        (raised(sgperms.read_csv, "kind,entity_type,name\n"), sgperms.CsvError, "missing_columns"),
        (raised(sgperms.read_csv, TABLE, roles=["admin"]), sgperms.CsvError, "unknown_role"),
        (raised(t.get, "nobody", "entity", "Asset", "", "see"), sgperms.TableError, "unknown_role"),
        (raised(t.set, "artist", "entity", "Asset", "", "see", "inherit"), sgperms.TableError, "inherit_outside_field"),
        (raised(t.set, "artist", "entity", "Asset", "", "see", "maybe"), sgperms.NormalizeError, "unknown_value"),
        (raised(t.get, "artist", "entity", "Asset", "", "fly"), sgperms.NormalizeError, "unknown_action"),
        (raised(sgperms.Tiers.parse, "lead > artist > lead"), sgperms.TierError, "cycle"),
        (raised(sgperms.Tiers.parse("lead > artist").grant, t, "artist", "entity", "Asset", "", "see", "no"),
         sgperms.TierError, "not_a_grant"),
    ]
    bad = tmp_path / "tiers.txt"
    bad.write_bytes(b"lead > artist\n\xff\n")
    cases.append((raised(sgperms.Tiers.read, bad), sgperms.TierError, "invalid_utf8"))
    with sgperms.folder.writing(tmp_path / "site") as unit:
        cases.append((raised(unit.commit, [("../escape.txt", b"x")]), sgperms.FolderError, "bad_name"))
    for error, cls, kind in cases:
        assert type(error) is cls, error
        assert error.kind == kind, error
        copied = pickle.loads(pickle.dumps(error))
        assert type(copied) is cls and copied.kind == kind and str(copied) == str(error)
    csv_error = cases[0][0]
    assert (csv_error.row, csv_error.column, csv_error.value) == (2, "artist", "maybe")
