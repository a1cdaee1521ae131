"""``python -m engine``: the command line (``engine/cli/``)."""

from .cli.commands import main

if __name__ == "__main__":
    raise SystemExit(main())
