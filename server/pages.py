"""Blueprint placeholder: owned by the pages work in progress."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
