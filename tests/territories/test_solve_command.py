"""`firstline territories solve`: plain files in, an assignment and a summary out."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from firstline.territories.optimizer.instances import clustered


def write_units(path, n=200, geographic=False, big=None):
    coords, measures = clustered(n, seed=8)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "longitude" if geographic else "x",
                "latitude" if geographic else "y",
                "potential",
                "workload",
            ]
        )
        for i, ((x, y), (p, w)) in enumerate(zip(coords, measures, strict=True)):
            if geographic:
                x, y = 5 + x / 20, 45 + y / 20
            writer.writerow([f"U{i}", x, y, big if (big and i == 0) else p, w])


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("territories", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_writes_one_territory_per_unit_and_prints_the_figures(tmp_path):
    write_units(tmp_path / "units.csv", geographic=True)
    out, _err = run(
        "solve",
        str(tmp_path / "units.csv"),
        "--territories",
        "4",
        "--tolerance",
        "0.05",
        "--out",
        str(tmp_path / "assignment.csv"),
    )
    with open(tmp_path / "assignment.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [f"U{i}" for i in range(200)]
    assert {r["territory"] for r in rows} == {"0", "1", "2", "3"}
    assert "potential: max deviation from the mean" in out and "workload:" in out
    assert "Every territory is connected." in out and "Objective (total weighted distance)" in out


def test_an_edges_file_and_the_diameter_objective(tmp_path):
    write_units(tmp_path / "units.csv", n=9)
    with open(tmp_path / "edges.csv", "w") as handle:
        handle.write("from,to\n" + "".join(f"U{i},U{i + 1}\n" for i in range(8)))
    out, _err = run(
        "solve",
        str(tmp_path / "units.csv"),
        "--territories",
        "3",
        "--tolerance",
        "0.9",
        "--edges",
        str(tmp_path / "edges.csv"),
        "--objective",
        "diameter",
        "--out",
        str(tmp_path / "a.csv"),
    )
    assert "largest territory diameter" in out


def test_infeasible_input_is_a_clear_message_not_a_crash(tmp_path):
    write_units(tmp_path / "units.csv", big=10**12)
    with pytest.raises(CommandError, match=r"unit U0 alone is .* of a territory's mean"):
        run("solve", str(tmp_path / "units.csv"), "--territories", "4", "--out", str(tmp_path / "a.csv"))


def test_a_bad_number_names_the_line_and_column(tmp_path):
    (tmp_path / "units.csv").write_text("id,x,y,potential\nA,1,2,3\nB,1,x,4\n")
    with pytest.raises(CommandError, match=r"line 3: y is 'x', not a number"):
        run("solve", str(tmp_path / "units.csv"), "--territories", "2", "--out", str(tmp_path / "a.csv"))
