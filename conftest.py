from __future__ import annotations

import pytest

from kitchen.tests.factories import PASSWORD, ChefFactory


@pytest.fixture
def chef(db):
    return ChefFactory()


@pytest.fixture
def chef_client(client, chef):
    client.force_login(chef.user)
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD
