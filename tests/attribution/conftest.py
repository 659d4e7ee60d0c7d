import numpy as np
import pytest

from canary.attribution.simulator import NetworkSpec, build_network, seed_ledger

SMALL = NetworkSpec(hubs=4, depots=30, couriers_per_depot=3, merchants=20, vendors=4, partners=3)


@pytest.fixture(scope="module")
def small_network():
    return build_network(SMALL, np.random.default_rng(7))


@pytest.fixture(scope="module")
def small_ledger(small_network):
    return seed_ledger(small_network, 6, np.random.default_rng(8))
