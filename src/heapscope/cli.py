"""The ``heapscope`` command line (also ``python -m heapscope``).

Each subcommand is one ``_add_<name>(subparsers)`` function that declares its
arguments and sets ``run``: a function of the parsed arguments returning the
exit status.  Adding a subcommand is writing one such function and listing it
in ``_SUBCOMMANDS``.
"""
import argparse

import heapscope
from heapscope.report import _add_report

__all__ = ["main"]


from heapscope.cli_files import int_at_least  # noqa: E402

_positive_int = int_at_least(1)


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


def _positive_float(text):
    """argparse type: a finite number above 0."""
    value = float(text)
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError("must be a positive number, not %s" % text)
    return value


def _add_run(subparsers):
    p = subparsers.add_parser(
        "run",
        help="run a program with heapscope watching its heap",
        usage="heapscope run [options] (script.py | -m module) [args ...]",
        description=(
            "Run a Python program in this process, as 'python script.py' or 'python -m module' would, "
            "with a C summary of its heap every --interval seconds and at exit, then the labels whose "
            "live count grew steadily, with their growth per minute.  heapscope writes to stderr "
            "(or --output); the program's stdout, arguments and exit status are its own."
        ),
    )
    p.add_argument("--interval", type=_positive_float, default=5.0, metavar="SECONDS",
                   help="seconds between summaries (default: 5)")
    p.add_argument("--paths", action="store_true",
                   help="retaining paths of samples of the growing labels")
    p.add_argument("--report", metavar="FILE.html", help="write the HTML report to FILE.html")
    p.add_argument("--save", metavar="FILE.hsnap", help="save the last snapshot, with its graph, to FILE.hsnap")
    p.add_argument("--output", "-o", metavar="FILE", help="write heapscope's summaries to FILE instead of stderr")
    p.add_argument("-m", dest="module", nargs=argparse.REMAINDER, metavar="module [args]",
                   help="run a library module as a script, as python -m does")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="script.py [args]", help="the script and its arguments")
    p.set_defaults(run=_run_run, parser=p)


def _run_run(args):
    from heapscope.run import RunError, run

    program = list(args.program)
    if program[:1] == ["--"]:
        del program[0]
    if args.module is not None:
        if program or not args.module:
            args.parser.error("give either a script or -m module")
        target = dict(module=args.module[0], args=args.module[1:])
    elif program:
        target = dict(program=program[0], args=program[1:])
    else:
        args.parser.error("give a script or -m module to run")
    try:
        return run(interval=args.interval, paths=args.paths, report=args.report, save=args.save,
                   output=args.output, **target)
    except RunError as e:
        import sys

        sys.stderr.write(str(e) + "\n")
        return e.status


from heapscope import cli_files as _files  # noqa: E402

_SUBCOMMANDS = (
    _add_demo,
    _add_run,
    _add_report,
    _files.add_summary,
    _files.add_diff,
    _files.add_top,
    _files.add_why,
    _files.add_export,
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
