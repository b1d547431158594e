"""Entry point for ``python -m lzdocs`` and the ``lzdocs`` command."""

import sys


def run() -> None:
    """The command line: its modules loaded, then the command. Ctrl-C while they load (the first tenth of a
    second or so, longer on a slow or busy PC) is said in Chinese, not shown as a Python traceback."""
    try:
        from lzdocs.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("已中断（Ctrl-C）：命令还没有开始，没有做任何改动。\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
