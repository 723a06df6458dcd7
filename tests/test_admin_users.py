"""The admin users page: list and find users, change roles, ban and unban."""

from __future__ import annotations

import pytest

from blog.extensions import db
from blog.models import Identity, Role
from tests.factories import make_user


@pytest.fixture
def admin(login_as):
    return login_as(make_user(role=Role.ADMIN, display_name="Root"))


def test_visitors_are_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.MODERATOR])
def test_only_admins(client, login_as, role):
    login_as(make_user(role=role))
    target = make_user()
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{target.id}/ban").status_code == 403
    db.session.refresh(target)
    assert target.role == Role.READER and not target.banned


def test_list_and_search(client, admin):
    ann = make_user(display_name="Ann Reader", email="ann@example.com")
    ann.identities.append(Identity(provider="google", subject="g-1"))
    db.session.commit()
    make_user(display_name="Bob", email="bob@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Ann Reader" in page and "Bob" in page and "Root" in page
    assert "Google, password" in page
    found = client.get("/admin/users?q=ann@").get_data(as_text=True)
    assert "Ann Reader" in found and "Bob" not in found
    assert "No users match" in client.get("/admin/users?q=%25_nobody").get_data(as_text=True)
    assert client.get("/admin/users?page=999").status_code == 200
    assert client.get("/admin/users?page=abc").status_code == 200


def test_change_role(client, admin):
    user = make_user()
    response = client.post(
        f"/admin/users/{user.id}/role", data={"role": "moderator", "back": "/admin/users?q=x"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users?q=x"
    db.session.refresh(user)
    assert user.role == Role.MODERATOR
    assert "is now moderator" in client.get("/admin/users").get_data(as_text=True)


def test_bad_role_and_own_role_are_refused(client, admin):
    user = make_user()
    client.post(f"/admin/users/{user.id}/role", data={"role": "emperor"})
    assert "Choose one of" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{admin.id}/role", data={"role": "reader"})
    assert "cannot change your own role" in client.get("/admin/users").get_data(as_text=True)
    db.session.refresh(user)
    db.session.refresh(admin)
    assert user.role == Role.READER and admin.role == Role.ADMIN


def test_ban_and_unban(client, admin):
    user = make_user(display_name="Troll")
    response = client.post(f"/admin/users/{user.id}/ban", data={"back": "https://evil.example"})
    assert response.headers["Location"] == "/admin/users"
    db.session.refresh(user)
    assert user.banned and not user.can(Role.READER)
    assert "Troll is banned" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/unban")
    db.session.refresh(user)
    assert not user.banned


def test_cannot_ban_yourself_or_nobody(client, admin):
    client.post(f"/admin/users/{admin.id}/ban")
    assert "cannot ban yourself" in client.get("/admin/users").get_data(as_text=True)
    db.session.refresh(admin)
    assert not admin.banned
    assert client.post("/admin/users/99999/ban").status_code == 404


def test_changes_need_csrf(client, admin):
    user = make_user()
    assert client.post(f"/admin/users/{user.id}/ban", csrf=False).status_code == 400
    db.session.refresh(user)
    assert not user.banned
