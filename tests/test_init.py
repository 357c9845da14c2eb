import portfolio_opt as po


def test_all_is_sorted_and_importable():
    names = [n for n in po.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    for name in po.__all__:
        assert hasattr(po, name), name


def test_ahp_is_the_function():
    # portfolio_opt.ahp(...) is the verb of the issue; the module stays importable by path
    result = po.ahp({("a", "b"): 3})
    assert abs(result.weights["a"] - 0.75) < 1e-12
