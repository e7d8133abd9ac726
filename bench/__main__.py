"""`python -m bench` (or `./dev bench`): see bench/README.md."""

from bench.run import main

main()
