"""Figures of races of more than two firms: slices over a pair of firms (issue 17)."""

import numpy as np
import pytest

import patentrace as pr
from patentrace.plot import slice_figure

pytest.importorskip("matplotlib")

EQ = pr.solve(pr.Race(stages=(3, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.05)))


@pytest.mark.parametrize(("quantity", "pair", "at"), [("effort", (0, 1), None), ("value", (2, 0), (0, 1, 0)),
                                                      ("win_probability", (1, 2), (2, 0, 0))])
def test_each_map_shows_the_slice_of_the_array(quantity, pair, at):
    fig = slice_figure(EQ, quantity, pair=pair, at=at)
    fixed = [0, 0, 0] if at is None else list(at)
    other = ({0, 1, 2} - set(pair)).pop()
    index = [slice(None)] * 3
    index[other] = fixed[other]
    for firm in range(3):
        expected = np.asarray(getattr(EQ, quantity))[(firm, *index)]
        if pair[0] > pair[1]:
            expected = expected.T
        mesh = fig.axes[firm].collections[0]
        shown = np.ma.masked_invalid(mesh.get_array()).reshape(expected.shape)
        opened = ~np.ma.getmaskarray(shown)
        np.testing.assert_array_equal(shown[opened], expected[opened])
        assert opened[0, 0] and not opened[-1, 0]  # a finished firm's row is grey
        assert fig.axes[firm].get_ylabel() == f"stages completed by firm {pair[0]}"
    assert fig.axes[-1].get_ylabel() in {"effort x", "value V", "probability of winning"}


@pytest.mark.parametrize(("arguments", "message"), [
    ({"quantity": "speed"}, "quantity must be one of"),
    ({"pair": (0, 0)}, "pair must be two different firms"),
    ({"pair": (0, 3)}, "pair must be two different firms"),
    ({"at": (0, 0, 5)}, "state"),
    ({"at": (0, 0)}, "state must have one entry per firm"),
])
def test_bad_arguments_name_themselves(arguments, message):
    with pytest.raises(ValueError, match=message):
        slice_figure(EQ, **arguments)
