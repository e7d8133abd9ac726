"""kzkg: the Kazakhstan knowledge graph of claims about the January 2022 unrest.

The pipeline runs ingest → map → validate → reason → store → export (plus link); each stage is
one module, and :mod:`kzkg.pipeline` strings them together for the CLI and the server.
"""

__version__ = "0.1.0"
