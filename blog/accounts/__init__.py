"""Readers' identity: email accounts, OAuth providers, the account page."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
