"""Blueprint placeholder: owned by the sparql work in progress."""

from flask import Blueprint

bp = Blueprint("sparql", __name__)
