"""`python -m bench` (or `./dev bench`): see bench/README.md. `python -m bench extract`: the extractor."""

import sys

if sys.argv[1:2] == ["extract"]:
    from bench.extract import main as extract_main

    extract_main(sys.argv[2:])
else:
    from bench.run import main

    main()
