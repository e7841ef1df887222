import json

import nbformat

from hpclab.grading.execute import CELL_TIMEOUT, OUTPUT_LIMIT, RunStatus, execute


def test_only_a_cell_interrupted_for_its_time_counts_as_timed_out(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("raise KeyboardInterrupt  # the learner's own, not a timeout"),
            nbformat.v4.new_code_cell("while True:\n    pass"),
            nbformat.v4.new_code_cell("print('after the endless loop')"),
        ]
    )
    run = execute(nb, tmp_path, timeout=120, cell_timeout=3, allow_errors=True)
    assert run.timed_out_cells == [1]
    assert run.status == RunStatus.TIMEOUT and "[1]" in run.message
    assert [o.get("ename") for o in run.notebook.cells[0].outputs] == ["KeyboardInterrupt"]
    assert CELL_TIMEOUT in [o.get("ename") for o in run.notebook.cells[1].outputs]
    assert run.notebook.cells[2].outputs[0]["text"] == "after the endless loop\n"


def _kept(nb) -> int:
    """Characters of the executed notebook as the grader holds it: outputs, metadata, widget state."""
    return len(json.dumps(nb))


def test_output_metadata_counts_against_the_cell_limit(tmp_path):
    """The review's padding cell: empty displays with a big metadata dict each."""
    pad_cell = (
        "pad = 'm' * 300_000\nfor _ in range(10):\n    display({'text/plain': ''}, metadata={'pad': pad}, raw=True)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(pad_cell), nbformat.v4.new_code_cell("print(1)")])
    run = execute(nb, tmp_path, timeout=120, cell_timeout=60, allow_errors=True)
    assert _kept(run.notebook) < OUTPUT_LIMIT + 50_000
    assert "output of this cell cut" in run.notebook.cells[0].outputs[-1]["text"]
    assert run.cut_cells == [0]
    assert run.notebook.cells[1].outputs[0]["text"] == "1\n"


def test_display_updates_and_comm_traffic_count_against_the_cell_limit(tmp_path):
    comms = (
        "from comm import create_comm\npad = 'm' * 300_000\n"
        "opened = [create_comm(target_name='hpclab-test', data={'state': {'pad': pad, 'n': i}}) for i in range(10)]"
    )
    updates = (
        "pad = 'u' * 300_000\nhandle = display({'text/plain': 'first'}, display_id=True)\n"
        "for i in range(10):\n    handle.update({'text/plain': str(i)}, metadata={'pad': pad})"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(comms), nbformat.v4.new_code_cell(updates)])
    run = execute(nb, tmp_path, timeout=120, cell_timeout=60, allow_errors=True)
    assert _kept(run.notebook) < 2 * OUTPUT_LIMIT + 50_000
    assert run.cut_cells == [0, 1]
    for cell in run.notebook.cells:
        assert "output of this cell cut" in cell.outputs[-1]["text"]


def test_the_notebook_has_an_output_budget_that_check_cells_do_not_lose(tmp_path):
    noisy = "print('n' * 300_000)"
    check = nbformat.v4.new_code_cell("print('the check ran')", metadata={"tags": ["check"]})
    cells = [nbformat.v4.new_code_cell(noisy) for _ in range(5)] + [check, nbformat.v4.new_code_cell(noisy)]
    nb = nbformat.v4.new_notebook(cells=cells)
    run = execute(nb, tmp_path, timeout=120, cell_timeout=60, allow_errors=True, notebook_output_limit=1_000_000)
    assert _kept(run.notebook) < 1_000_000 + 50_000
    assert run.cut_cells == [3, 4, 6]
    assert "the notebook's output passed 1,000,000 characters" in run.notebook.cells[3].outputs[-1]["text"]
    assert run.notebook.cells[5].outputs[0]["text"] == "the check ran\n"
