"""Blueprint placeholder: owned by the dumps work in progress."""

from flask import Blueprint

bp = Blueprint("dumps", __name__)
