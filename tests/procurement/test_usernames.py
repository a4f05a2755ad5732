"""Usernames are unique regardless of case, wherever an account is made (the service, supplier
registration on the web and the API, the admin), and signing in ignores case."""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from bidders.models import SupplierProfile
from procurement import services
from procurement.exceptions import InvalidInput
from procurement.models import LedgerEntry, User
from tests.api.test_suppliers_api import REGISTRATION
from tests.bidders.test_suppliers_web import FORM
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TAKEN = "A user with that username already exists."


def accounts() -> tuple:
    return (
        sorted(User.objects.values_list("username", flat=True)),
        SupplierProfile.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_the_service_refuses_a_name_differing_only_in_case(make_user):
    make_user(username="officer")
    before = accounts()
    for name in ("Officer", "OFFICER", " oFFicer "):
        with pytest.raises(InvalidInput) as refused:
            services.create_user(username=name, password=PASSWORD, actor=None)
        assert (refused.value.field, refused.value.message) == ("username", TAKEN)
    assert accounts() == before


def test_the_database_refuses_it_too():
    User.objects.create(username="custodian")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Custodian")
    assert User.objects.count() == 1


def test_renaming_an_account_onto_another_in_other_case_is_refused(make_user):
    make_user(username="approver")
    other = make_user(username="someone")
    other.username = "APPROVER"
    with pytest.raises(InvalidInput) as refused:
        services.save_account(other, actor=None)
    assert refused.value.field == "username"
    assert User.objects.get(pk=other.pk).username == "someone"
    other.username = "Someone"  # its own name in another case is still its own
    services.save_account(other, actor=None)
    assert User.objects.get(pk=other.pk).username == "Someone"


def test_supplier_registration_on_the_web_refuses_it(client, make_user):
    make_user(username="songhan")
    before = accounts()
    response = client.post(
        reverse("supplier-register"), {**FORM, "username": "SongHan"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [TAKEN]
    assert accounts() == before


def test_supplier_registration_in_the_api_refuses_it(api, make_user):
    make_user(username="hoabinh")
    before = accounts()
    response = api.post(
        reverse("api:supplier-register"),
        {**REGISTRATION, "username": "HoaBinh"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["message"]) == ("username", TAKEN)
    assert accounts() == before


def test_the_admin_refuses_it(client, make_user):
    admin = make_user(admin=True, username="root")
    make_user(username="auditor")
    client.force_login(admin)
    before = accounts()
    response = client.post(
        "/admin/procurement/user/add/",
        {"username": "Auditor", "password1": PASSWORD, "password2": PASSWORD,
         "usable_password": "true"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [TAKEN]
    assert accounts() == before


@pytest.mark.parametrize("typed", ["officer", "Officer", "OFFICER"])
def test_sign_in_ignores_case_on_the_web_and_the_api(client, api, make_user, typed):
    user = make_user(username="officer")
    response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    response = api.post(
        reverse("api:login"), {"username": typed, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_failed_sign_ins_count_for_the_account_whatever_the_case(api, make_user):
    make_user(username="officer")
    url = reverse("api:login")
    codes = [
        api.post(url, {"username": typed, "password": "wrong"}, format="json").status_code
        for typed in ("officer", "Officer", "OFFICER", "oFFICER", "OffIcer")
    ]
    # Five failures on five spellings lock the one account out (the fifth answers 429).
    assert codes == [400, 400, 400, 400, 429]
    response = api.post(url, {"username": "OFFicer", "password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_the_migration_stops_on_existing_duplicates_and_names_them():
    migration = importlib.import_module("procurement.migrations.0005_username_case_insensitive")

    class Apps:
        @staticmethod
        def get_model(app, name):
            return FakeUser

    class FakeUser:
        class objects:  # noqa: N801 - stands in for a manager
            @staticmethod
            def values_list(*args, **kwargs):
                class Rows(list):
                    def iterator(self):
                        return iter(self)

                return Rows(["an", "An", "binh", "chi", "CHI", "Chi"])

    with pytest.raises(RuntimeError) as stopped:
        migration.refuse_case_duplicates(Apps, None)
    assert str(stopped.value).endswith("An, an; CHI, Chi, chi")
    FakeUser.objects.values_list = staticmethod(lambda *a, **k: type("R", (list,), {
        "iterator": lambda self: iter(self)})(["an", "binh"]))  # fmt: skip
    migration.refuse_case_duplicates(Apps, None)
