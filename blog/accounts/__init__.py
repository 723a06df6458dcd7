"""Readers' identity: email accounts, OAuth providers, the account page."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import account_views, oauth_views, views  # noqa: E402,F401
