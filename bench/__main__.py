"""`python -m bench` (or `./dev bench`): see bench/README.md.

`python -m bench extract`: the extractor. `python -m bench claims | default_graph | search | views`:
the measurements of claims as data and of the views at scale (bench/README.md), each also runnable
as `python -m bench.<name>`.
"""

import sys

if sys.argv[1:2] == ["extract"]:
    from bench.extract import main as extract_main

    extract_main(sys.argv[2:])
elif sys.argv[1:2] and sys.argv[1] in ("claims", "default_graph", "search", "views"):
    import importlib

    importlib.import_module(f"bench.{sys.argv[1]}").main(sys.argv[2:])
else:
    from bench.run import main

    main()
