"""The ``specc`` command line: ``validate``, ``build``, ``train``, ``pretrain``, ``report``,
``compare``, ``graph``.

Every user error (:class:`specc.errors.SpeccError`) is printed as one line per
problem on stderr with a non-zero exit status: 1 for an invalid spec or a failed
run, 2 for usage or I/O errors. ``validate`` never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys

from specc import __version__
from specc.errors import SpecError, SpeccError, UsageError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="specc", description="Declarative Keras model specs: "
                                "validate, build and train them.")
    p.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check specs against the schema and semantic rules")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--format", choices=["text", "json"], default="text",
                   help="json: one object with every issue, for CI")

    b = sub.add_parser("build", help="compile a spec and print the Keras model summary "
                                     "(or the scikit-learn pipeline)")
    b.add_argument("spec", metavar="SPEC")
    b.add_argument("--save", metavar="PATH.keras", help="also write the model to this file")

    t = sub.add_parser("train", help="train a spec and write a run folder with a metric report")
    t.add_argument("spec", metavar="SPEC", nargs="?")
    t.add_argument("--resume", metavar="RUN_DIR",
                   help="continue an unfinished run (killed or stopped with Ctrl-C) from its "
                        "last epoch checkpoint")
    t.add_argument("--epochs", type=int, metavar="N", help="override train.epochs")
    t.add_argument("--out", metavar="DIR", help="run folder (default runs/<name>-<UTC time>)")
    t.add_argument("--train-fraction", metavar="F,F,...",
                   help="learning curve: train once per fraction of the training part "
                        "(e.g. 0.2,0.4,0.6,0.8,1.0) and plot test accuracy/F1 against size")

    pt = sub.add_parser("pretrain", help="pretrain a BERT backbone with masked-language "
                                         "modelling (task: masked_lm) into a keras-hub preset")
    pt.add_argument("spec", metavar="SPEC")
    pt.add_argument("--epochs", type=int, metavar="N", help="override train.epochs")
    pt.add_argument("--out", metavar="DIR", help="run folder (default runs/<name>-<UTC time>); "
                                                 "the preset is DIR/preset")

    r = sub.add_parser("report", help="re-render report.md and report.html of a run folder")
    r.add_argument("run", metavar="RUN_DIR")

    c = sub.add_parser("compare", help="compare finished runs side by side (Markdown + HTML)")
    c.add_argument("runs", nargs="+", metavar="RUN_DIR")
    c.add_argument("--out", metavar="DIR", help="output folder (default runs/compare-<UTC time>)")

    g = sub.add_parser("graph", help="draw the compiled model as a diagram (needs pydot and "
                                     "Graphviz)")
    g.add_argument("spec", metavar="SPEC")
    g.add_argument("--out", metavar="FILE", help="FILE.svg, .png, .pdf or .dot "
                                                 "(default <name>.svg)")
    return p


def cmd_validate(args) -> int:
    """Validate each file; print every issue; exit 0 all valid, 1 any invalid, 2 unreadable."""
    from specc.loader.validate import load_spec
    results, status = [], 0
    for f in args.files:
        try:
            load_spec(f)
            results.append({"file": f, "valid": True, "issues": []})
            if args.format == "text":
                print(f"{f}: valid")
        except SpecError as e:
            status = max(status, 1)
            results.append({"file": f, "valid": False, "issues": [i.as_dict() for i in e.issues]})
            if args.format == "text":
                print(str(e), file=sys.stderr)
        except UsageError as e:
            status = 2
            results.append({"file": f, "valid": False, "error": str(e)})
            if args.format == "text":
                print(f"error: {e}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"valid": status == 0, "files": results}, indent=2))
    return status


def cmd_build(args) -> int:
    """Compile the spec and print Keras' summary; ``--save`` writes a ``.keras`` file."""
    from specc.loader.validate import load_spec
    from specc.runtime.quiet import import_keras
    spec = load_spec(args.spec)
    import_keras()
    from specc.compiler.model import compile_spec
    model = compile_spec(spec)
    if spec.kind == "estimator":
        from specc.compiler.pipeline import describe_pipeline
        print(describe_pipeline(model))
        if args.save:
            raise UsageError("--save writes a Keras model; a scikit-learn pipeline is saved "
                             "fitted, by specc train (model.joblib)")
        return 0
    model.summary()
    if args.save:
        if not args.save.endswith(".keras"):
            raise UsageError(f"--save {args.save}: the file name must end in .keras")
        try:
            model.save(args.save)
        except OSError as e:
            raise UsageError(f"--save {args.save}: {e.strerror or e}") from None
        print(f"saved {args.save}")
    return 0


def _override_epochs(spec, epochs: int | None) -> None:
    """Apply ``--epochs N`` to the resolved spec (None: keep ``train.epochs``).

    Raises:
        UsageError: N < 1.
    """
    if epochs is None:
        return
    if epochs < 1:
        raise UsageError("--epochs must be >= 1")
    spec.resolved["train"]["epochs"] = epochs


def cmd_train(args) -> int:
    """Train the spec and write the run folder; prints its path and the test metrics."""
    from specc.loader.validate import load_spec
    if args.resume is not None:
        if args.spec or args.epochs is not None or args.out or args.train_fraction:
            raise UsageError("--resume RUN_DIR takes no SPEC, --epochs, --out or "
                             "--train-fraction: the run folder has them")
        from specc.runtime.quiet import import_keras
        import_keras()
        from specc.runtime.train import resume_run
        resume_run(args.resume)
        return 0
    if args.spec is None:
        raise UsageError("specc train needs a SPEC (or --resume RUN_DIR)")
    spec = load_spec(args.spec)
    if spec.task == "masked_lm":
        raise UsageError(f"{args.spec} is a pretraining spec (task: masked_lm): run "
                         f"specc pretrain {args.spec}")
    if args.epochs is not None and spec.kind == "estimator":
        raise UsageError("--epochs applies to Keras models; a scikit-learn estimator is "
                         "fitted once")
    _override_epochs(spec, args.epochs)
    fractions = None
    if args.train_fraction is not None:
        from specc.runtime.sweep import parse_fractions
        fractions = parse_fractions(args.train_fraction)
    from specc.runtime.quiet import import_keras
    import_keras()
    if fractions is not None:
        from specc.runtime.sweep import learning_curve
        learning_curve(spec, fractions, out=args.out)
        return 0
    from specc.runtime.train import train_spec
    train_spec(spec, out=args.out)
    return 0


def cmd_pretrain(args) -> int:
    """Pretrain the spec's BERT backbone; the run folder holds the keras-hub preset."""
    from specc.loader.validate import load_spec
    spec = load_spec(args.spec)
    if spec.task != "masked_lm":
        raise UsageError(f"{args.spec} has task {spec.task}: specc pretrain needs task "
                         f"masked_lm (use specc train)")
    _override_epochs(spec, args.epochs)
    from specc.runtime.quiet import import_keras
    import_keras()
    from specc.runtime.pretrain import pretrain_spec
    pretrain_spec(spec, out=args.out)
    return 0


def cmd_report(args) -> int:
    """Re-render the plots, ``report.md`` and ``report.html`` of a finished run folder."""
    from specc.reports.render import render_run
    for path in render_run(args.run):
        print(path)
    return 0


def cmd_compare(args) -> int:
    """Write ``compare.md``/``compare.html`` for the runs; print the Markdown table."""
    from specc.reports.compare import compare_runs
    from specc.runtime.rundir import default_run_dir
    md, html = compare_runs(args.runs, args.out or default_run_dir("compare"))
    print(md.read_text(encoding="utf-8"))
    print(f"written: {md} and {html}")
    return 0


def cmd_graph(args) -> int:
    """Compile the spec and draw its Keras model (``--out``, default ``<name>.svg``)."""
    from specc.loader.validate import load_spec
    spec = load_spec(args.spec)
    if spec.kind == "estimator":
        raise UsageError("specc graph draws Keras models; this spec is a scikit-learn "
                         "pipeline (specc build prints its steps)")
    from specc.runtime.quiet import import_keras
    import_keras()
    from specc.compiler.graph import write_graph
    from specc.compiler.model import compile_spec
    print(f"wrote {write_graph(compile_spec(spec), args.out or f'{spec.name}.svg')}")
    return 0


COMMANDS = {"validate": cmd_validate, "build": cmd_build, "train": cmd_train,
            "pretrain": cmd_pretrain,
            "report": cmd_report, "compare": cmd_compare, "graph": cmd_graph}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``specc`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SpecError as e:
        print(str(e), file=sys.stderr)
        return e.exit_code
    except SpeccError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
