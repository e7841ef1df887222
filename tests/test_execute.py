import nbformat

from hpclab.execute import CELL_TIMEOUT, TIMEOUT, execute


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
    assert run.status == TIMEOUT and "[1]" in run.message
    assert [o.get("ename") for o in run.notebook.cells[0].outputs] == ["KeyboardInterrupt"]
    assert CELL_TIMEOUT in [o.get("ename") for o in run.notebook.cells[1].outputs]
    assert run.notebook.cells[2].outputs[0]["text"] == "after the endless loop\n"
