import pytest

from alphabridge.train.schedule import SCHEDULES, alpha_at


@pytest.mark.parametrize("kind", SCHEDULES)
@pytest.mark.parametrize("n", [1, 2, 10, 4000])
def test_endpoints_inside_and_monotone(kind, n):
    a = [alpha_at(i, n, kind=kind) for i in range(n)]
    assert all(0 < v < 1 for v in a)
    assert all(x < y for x, y in zip(a, a[1:]))


def test_linear_endpoints_exact():
    n = 4000
    assert alpha_at(0, n, kind="linear") == pytest.approx(0.5 / n)
    assert alpha_at(n - 1, n, kind="linear") == pytest.approx(1 - 0.5 / n)
    assert alpha_at(n // 2, n, kind="linear") == pytest.approx(0.5 + 0.5 / n)


def test_schedule_errors():
    with pytest.raises(ValueError, match="outside"):
        alpha_at(10, 10, kind="linear")
    with pytest.raises(ValueError, match="unknown alpha schedule"):
        alpha_at(0, 10, kind="step")
