"""The ``heapscope`` command line (also ``python -m heapscope``).

Each subcommand is one ``_add_<name>(subparsers)`` function that declares its
arguments and sets ``run``: a function of the parsed arguments returning the
exit status.  Adding a subcommand is writing one such function and listing it
in ``_SUBCOMMANDS``.
"""
import argparse

import heapscope

__all__ = ["main"]


def _positive_int(text):
    """argparse type: an int of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, not %d" % value)
    return value


def _add_demo(subparsers):
    p = subparsers.add_parser(
        "demo",
        help="replay the IDLE leak of Pympler's tutorial",
        description=(
            "Replay 'Task 1: Is there a leak?' and 'Task 2: What objects leak?' of Pympler's "
            "tutorial 'Track Down Memory Leaks': IDLE's Path Browser window leaks on every "
            "open and close, with its bound method wakeup and the CallWrapper that stores it.  "
            "By default IDLE and Tkinter are modelled headlessly (heapscope._idle_demo)."
        ),
    )
    p.add_argument("--rounds", type=_positive_int, default=3, metavar="N",
                   help="open and close the Path Browser N times (default: 3)")
    p.add_argument("--tk", action="store_true",
                   help="use a real tkinter.Menu with Tkinter 2.4's delete; needs a display "
                        "(DISPLAY set, Tk starting): without one, exit with status 2")
    p.set_defaults(run=_run_demo)


def _run_demo(args):
    from heapscope.demo import run_demo

    return run_demo(rounds=args.rounds, tk=args.tk)


from heapscope import cli_files as _files  # noqa: E402

_SUBCOMMANDS = (
    _add_demo,
    _files.add_summary,
    _files.add_diff,
    _files.add_top,
    _files.add_why,
)


def build_parser():
    """The argument parser of ``heapscope``, with every subcommand."""
    parser = argparse.ArgumentParser(prog="heapscope", description=heapscope.__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="heapscope " + heapscope.__version__)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Run ``heapscope`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    No subcommand prints the help and returns 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return args.run(args)
