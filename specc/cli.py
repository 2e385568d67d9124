"""The ``specc`` command line: ``validate``, ``build``, ``train``, ``pretrain``, ``predict``,
``evaluate``, ``export``, ``serve``, ``report``, ``compare``, ``graph``: a thin layer over
the Python API (:mod:`specc.api`).

Every user error (:class:`specc.errors.SpeccError`) is printed as one line per
problem on stderr with a non-zero exit status: 1 for an invalid spec or a failed
run, 2 for usage or I/O errors. ``validate`` never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from specc import __version__
from specc.errors import SpeccError, SpecError, UsageError, one_line

ENVIRONMENT = {
    "SPECC_DATA_DIR": "folder of the named datasets (default ~/.cache/specc/datasets)",
    "SPECC_CACHE_DIR": "preprocessing cache and named vocabularies (default ~/.cache/specc)",
    "KERAS_BACKEND": "Keras backend (default tensorflow)",
    "SPECC_TRACEBACK": "1: show the traceback of an internal error (a bug in specc)",
}
"""Environment variables specc reads, shown by ``--help``."""

EXAMPLES = {
    "specc": "specc validate specs/lstm.yaml && specc train specs/lstm.yaml",
    "validate": "specc validate specs/*.yaml --strict --format json",
    "schema": "specc schema --out .specc.schema.json",
    "build": "specc build specs/lstm.yaml --set model.layers[1].LSTM.units=128",
    "train": "specc train specs/lstm.yaml --set train.epochs=5 --out runs/lstm-5",
    "tune": "specc tune specs/conv1d_search.yaml --out tunes/conv1d  (then: specc train "
            "tunes/conv1d/best.yaml)",
    "pretrain": "specc pretrain specs/nsmc_pretrain.yaml --out runs/nsmc-pretrain",
    "predict": "specc predict runs/imdb-lstm 'a great film' 'dull' --output preds.csv",
    "evaluate": "specc evaluate runs/imdb-lstm --data my.csv --out runs/imdb-lstm-on-my",
    "export": "specc export runs/imdb-lstm --format saved_model --out imdb_savedmodel",
    "serve": "specc serve runs/imdb-lstm runs/imdb-conv1d --port 8000",
    "report": "specc report runs/imdb-lstm",
    "compare": "specc compare runs/imdb-lstm runs/imdb-conv1d --out runs/compare",
    "graph": "specc graph specs/lstm.yaml --out lstm.svg",
}
"""One example per command, shown at the end of its ``--help``."""

READS = {"validate": ("SPECC_DATA_DIR", "SPECC_CACHE_DIR"), "schema": (),
         "report": (), "compare": ()}
"""The environment variables each command reads (default: all of :data:`ENVIRONMENT`)."""


def _epilog(command: str) -> str:
    """The ``--help`` epilog of ``command``: its example and the environment it reads."""
    names = READS.get(command, tuple(ENVIRONMENT))
    lines = [f"example:\n  {EXAMPLES[command]}"]
    if names:
        lines.append("environment:\n" + "\n".join(f"  {n:<16} {ENVIRONMENT[n]}" for n in names))
    return "\n\n".join(lines)


def _overrides_parent() -> argparse.ArgumentParser:
    """The ``--set PATH=VALUE`` and ``--allow-large`` options shared by the commands that
    read a spec."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        dest="overrides",
                        help="change one value of the spec before it is validated, e.g. "
                             "--set train.epochs=5 --set model.layers[1].LSTM.units=128 "
                             "(VALUE is YAML: 5, 1e-3, true, [3, 5], {l2: 0.01}); repeatable")
    parent.add_argument("--allow-large", action="store_true",
                        help="accept a model larger than this machine's memory (by specc's "
                             "estimate of its parameters and activations)")
    return parent


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="specc", description="Declarative Keras model specs: "
                                "validate, build and train them.",
                                epilog=_epilog("specc"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    overrides = _overrides_parent()

    def command(name: str, parents=(), **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=list(parents), epilog=_epilog(name),
                              formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    v = command("validate", [overrides], help="check specs against the schema and semantic "
                                              "rules",
                description="Check specs against the schema and semantic rules; no TensorFlow "
                            "import. An error is a wrong spec; a warning is a resource the "
                            "spec names (data file, preset folder, named vocabulary) that is "
                            "absent on this machine. Exit status: 0 valid (warnings allowed), "
                            "1 an error (or a warning with --strict), 2 a file that cannot be "
                            "read or a bad option.")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--format", choices=["text", "json"], default="text",
                   help="json: one object with every issue and its severity, for CI")
    v.add_argument("--strict", action="store_true",
                   help="treat warnings (absent data files, presets, vocabularies) as errors")

    sc = command("schema", help="print (or write) the JSON Schema of specs of this specc "
                                "version, for editors and check-jsonschema")
    sc.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing it")

    b = command("build", [overrides], help="compile a spec and print the Keras model summary "
                                           "(or the scikit-learn pipeline)")
    b.add_argument("spec", metavar="SPEC")
    b.add_argument("--save", metavar="PATH.keras", help="also write the model to this file")

    t = command("train", [overrides], help="train a spec and write a run folder with a metric report")
    t.add_argument("spec", metavar="SPEC", nargs="?")
    t.add_argument("--resume", metavar="RUN_DIR",
                   help="continue an unfinished run (killed or stopped with Ctrl-C) from its "
                        "last epoch checkpoint")
    t.add_argument("--epochs", type=int, metavar="N", help="override train.epochs")
    t.add_argument("--out", metavar="DIR", help="run folder (default runs/<name>-<UTC time>)")
    t.add_argument("--train-fraction", metavar="F,F,...",
                   help="learning curve: train once per fraction of the training part "
                        "(e.g. 0.2,0.4,0.6,0.8,1.0) and plot test accuracy/F1 against size")

    tu = command("tune", [overrides], help="search a spec's hyperparameters (its search: "
                                           "section) with Optuna",
                 description="Run the trials of the spec's search: section with Optuna (TPE "
                             "sampler, seeded; pruning from per-epoch validation values). Each "
                             "trial is a run folder under TUNE_DIR/trials, scored on the "
                             "validation split. At the end: TUNE_DIR/best.yaml (a plain spec "
                             "that specc train runs), trials.csv/.md/.html with Optuna's plots, "
                             "and best.yaml trained once more and tested once (TUNE_DIR/best).")
    tu.add_argument("spec", metavar="SPEC", nargs="?")
    tu.add_argument("--out", metavar="TUNE_DIR",
                    help="tuning folder (default tunes/<name>-<UTC time>)")
    tu.add_argument("--resume", metavar="TUNE_DIR",
                    help="continue a killed or stopped specc tune in TUNE_DIR")
    tu.add_argument("--storage", metavar="URL",
                    help="the study's storage, any SQLAlchemy URL Optuna supports, e.g. "
                         "postgresql://user@host/db: any number of specc tune processes on any "
                         "number of machines share one study (default: TUNE_DIR/study.db)")
    tu.add_argument("--study", metavar="NAME", help="Optuna study name (default: the spec's "
                                                    "name)")
    tu.add_argument("--trials", type=int, metavar="N",
                    help="override search.trials (the study's total, over all processes)")

    pt = command("pretrain", [overrides], help="pretrain a BERT backbone with masked-language "
                                         "modelling (task: masked_lm) into a keras-hub preset")
    pt.add_argument("spec", metavar="SPEC")
    pt.add_argument("--epochs", type=int, metavar="N", help="override train.epochs")
    pt.add_argument("--out", metavar="DIR", help="run folder (default runs/<name>-<UTC time>); "
                                                 "the preset is DIR/preset")

    pr = command("predict", help="predict the classes (or values) of texts with a "
                                        "trained run",
                        description="Predict with a trained run. Output: JSON Lines "
                                    "on stdout, or CSV/JSONL by --output's suffix; one row per "
                                    "text, in input order: row, text, label and one probability "
                                    "per class (score for LinearSVC/Ridge; prediction for "
                                    "regression).")
    pr.add_argument("run", metavar="RUN_DIR")
    pr.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    pr.add_argument("--input", metavar="FILE|-", help="a CSV/TSV/JSONL/JSON file (its "
                    "--text-column), or - for standard input, one text per line")
    pr.add_argument("--output", metavar="FILE", help="write FILE.csv or FILE.jsonl instead of "
                                                     "JSON Lines on stdout")
    pr.add_argument("--text-column", default="text", metavar="C",
                    help="column of --input holding the texts (default: text)")
    pr.add_argument("--format", choices=["csv", "tsv", "jsonl", "json"],
                    help="format of --input (default: from its extension)")
    pr.add_argument("--batch-size", type=int, metavar="N",
                    help="texts per model call (default: the spec's train.batch_size)")

    ev = command("evaluate", help="score a trained run on a labelled file: "
                                         "metrics.json and a report",
                        description="Score a trained run on a labelled file. Labels are "
                                    "the run's class names.")
    ev.add_argument("run", metavar="RUN_DIR")
    ev.add_argument("--data", required=True, metavar="FILE",
                    help="labelled CSV/TSV/JSONL/JSON file or folder per class")
    ev.add_argument("--out", metavar="DIR", help="write metrics.json and the report there "
                                                 "(a new folder)")
    ev.add_argument("--text-column", default="text", metavar="C")
    ev.add_argument("--label-column", default="label", metavar="C")
    ev.add_argument("--format", choices=["csv", "tsv", "jsonl", "json", "folder"])

    ex = command("export", help="write a trained run as a model that takes raw strings "
                                       "(.keras or a TensorFlow SavedModel)",
                        description="Write a trained run as a model that takes raw strings.")
    ex.add_argument("run", metavar="RUN_DIR")
    ex.add_argument("--format", choices=["keras", "saved_model"], default="keras")
    ex.add_argument("--out", metavar="PATH", help="default RUN_DIR/export/<name>.keras, "
                                                  "RUN_DIR/export/saved_model or "
                                                  "<name>.skops for scikit-learn runs")

    sv = command("serve", help="serve trained runs over HTTP (JSON API: POST /predict, "
                                      "GET /health, GET /models, OpenAPI at /docs)",
                        description="Serve trained runs over HTTP; then e.g. "
                                    "curl -d '{\"texts\": [\"a great film\"]}' "
                                    "localhost:8000/predict")
    sv.add_argument("runs", nargs="+", metavar="RUN_DIR")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: "
                                                        "this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="default 8000")
    sv.add_argument("--max-texts", type=int, default=256, metavar="N",
                    help="most texts per request (default 256)")
    sv.add_argument("--max-text-chars", type=int, default=20000, metavar="N",
                    help="longest text accepted, in characters (default 20000)")
    sv.add_argument("--max-body-bytes", type=int, default=4 << 20, metavar="N",
                    help="largest request body (default 4 MiB)")
    sv.add_argument("--batch-wait-ms", type=float, default=2.0, metavar="MS",
                    help="how long a request waits for others to share a model call "
                         "(micro-batching; default 2 ms)")

    r = command("report", help="re-render report.md and report.html of a run folder")
    r.add_argument("run", metavar="RUN_DIR")

    c = command("compare", help="compare finished runs side by side (Markdown + HTML)")
    c.add_argument("runs", nargs="+", metavar="RUN_DIR")
    c.add_argument("--out", metavar="DIR", help="output folder (default runs/compare-<UTC time>)")

    g = command("graph", [overrides], help="draw the compiled model as a diagram (needs pydot and "
                                     "Graphviz)")
    g.add_argument("spec", metavar="SPEC")
    g.add_argument("--out", metavar="FILE", help="FILE.svg, .png, .pdf or .dot "
                                                 "(default <name>.svg)")
    return p


def _overrides(args) -> dict:
    """``--set PATH=VALUE`` flags as ``{PATH: value}``, each VALUE read as YAML 1.2 (so
    ``5`` is an int, ``1e-3`` a float, ``[3, 5]`` a list, ``abc`` a string).

    Raises:
        UsageError: a flag without ``=``, or a VALUE that is not one YAML value.
    """
    from specc.core.yaml_source import parse_spec
    out = {}
    for flag in getattr(args, "overrides", []):
        path, sep, text = flag.partition("=")
        if not sep or not path.strip():
            raise UsageError(f"--set {flag}: expected PATH=VALUE, e.g. --set train.epochs=5")
        try:
            value = parse_spec(text, f"--set {flag}").data
        except SpecError as e:
            raise UsageError(f"--set {flag}: VALUE is not a YAML value "
                             f"({e.issues[0].message})") from None
        out[path.strip()] = value
    return out


MODEL_RESOURCES = ("$.model.", "$.preprocessing.")
"""Where the resources a model is built from are named (presets, vocabularies): warnings
there are errors for ``build`` and ``graph``, which need them but not the data."""


def _load(args, path: str, require: tuple[str, ...] = (), show_warnings: bool = True):
    """The spec at ``path`` with the command's ``--set`` overrides. Warnings (absent data
    files, presets, vocabularies) under the JSON path prefixes in ``require`` are errors
    (:func:`_require`); the others go to stderr unless ``show_warnings`` is False.

    Raises:
        SpecError: an error, or a warning under ``require``.
    """
    from specc.loader.validate import load_spec
    spec = load_spec(path, overrides=_overrides(args), allow_large=args.allow_large)
    if require:
        _require(spec, require)
    if show_warnings:
        for w in spec.warnings:
            print(w, file=sys.stderr)
    return spec


def _require(spec, prefixes: tuple[str, ...] = ("$",)) -> None:
    """The resources named under ``prefixes`` (default: all) must be on this machine:
    warnings there are raised as errors, with the spec's other warnings beside them.
    ``train`` and ``pretrain`` call it after checking the spec's task, so a spec for the
    other command gets that hint first.

    Raises:
        SpecError: a data file, preset or named vocabulary absent on this machine.
    """
    needed = [w.as_error() for w in spec.warnings if w.path.startswith(prefixes)]
    if needed:
        raise SpecError(needed + [w for w in spec.warnings if not w.path.startswith(prefixes)])


def cmd_validate(args) -> int:
    """Validate each file; print every issue. Exit 0 all valid (warnings allowed), 1 an error
    (or a warning with ``--strict``), 2 a file that cannot be read or a bad ``--set``."""
    from specc.loader.validate import load_spec
    overrides = _overrides(args)
    results, status = [], 0
    for f in args.files:
        try:
            spec = load_spec(f, overrides=overrides, strict=args.strict,
                             allow_large=args.allow_large)
            issues = [i.as_dict() for i in spec.warnings]
            results.append({"file": f, "valid": True, "issues": issues})
            if args.format == "text":
                for w in spec.warnings:
                    print(w, file=sys.stderr)
                print(f"{f}: valid" + (f" ({len(issues)} warning{'s' * (len(issues) > 1)})"
                                       if issues else ""))
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


def cmd_schema(args) -> int:
    """Print the JSON Schema of this version's specs, or write it to ``--out`` (atomically)."""
    from specc.schema import SCHEMA_PATH
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    if args.out is None:
        sys.stdout.write(text)
        return 0
    from specc.core.files import write_text
    write_text(Path(args.out), text)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_build(args) -> int:
    """Compile the spec and print Keras' summary; ``--save`` writes a ``.keras`` file."""
    spec = _load(args, args.spec, require=MODEL_RESOURCES)
    from specc.compiler.backends import use_backend
    use_backend(spec)
    from specc.compiler.model import compile_spec
    model = compile_spec(spec)
    if not spec.model_kind.keras:
        from specc.compiler.pipeline import describe_pipeline
        print(describe_pipeline(model))
        if args.save:
            raise UsageError("--save writes a Keras model; a scikit-learn pipeline is saved "
                             "fitted, by specc train (model.skops)")
        return 0
    model.summary()
    if args.save:
        if not args.save.endswith(".keras"):
            raise UsageError(f"--save {args.save}: the file name must end in .keras")
        from specc.core.files import save_model
        save_model(model, Path(args.save))
        print(f"saved {args.save}")
    return 0


def _override_epochs(spec, epochs: int | None):
    """The spec with ``--epochs N`` applied (None: ``spec`` unchanged).

    Raises:
        UsageError: N < 1.
    """
    if epochs is None:
        return spec
    if epochs < 1:
        raise UsageError("--epochs must be >= 1")
    return spec.replace({"train.epochs": epochs})


def cmd_tune(args) -> int:
    """Tune the spec's search: section (:func:`specc.api.tune`); prints each trial, the best
    trial and the best spec's test metrics."""
    from specc.api import tune
    if args.trials is not None and args.trials < 1:
        raise UsageError("--trials must be >= 1")
    if args.resume is not None:
        if args.spec or args.out or args.overrides:
            raise UsageError("--resume TUNE_DIR takes no SPEC, --out or --set: the tuning "
                             "folder has them")
        tune(None, resume=args.resume, storage=args.storage, study=args.study,
             trials=args.trials, callback=print)
        return 0
    if args.spec is None:
        raise UsageError("specc tune needs a SPEC (or --resume TUNE_DIR)")
    spec = _load(args, args.spec, show_warnings=False)
    _require(spec)
    tune(spec, out=args.out, storage=args.storage, study=args.study, trials=args.trials,
         callback=print)
    return 0


def cmd_train(args) -> int:
    """Train the spec and write the run folder; prints its path and the test metrics."""
    if args.resume is not None:
        if args.spec or args.epochs is not None or args.out or args.train_fraction \
                or args.overrides:
            raise UsageError("--resume RUN_DIR takes no SPEC, --epochs, --set, --out or "
                             "--train-fraction: the run folder has them")
        from specc.runtime.train import resume_run  # imports Keras on the run's backend
        resume_run(args.resume)
        return 0
    if args.spec is None:
        raise UsageError("specc train needs a SPEC (or --resume RUN_DIR)")
    fractions = None
    if args.train_fraction is not None:
        from specc.runtime.sweep import parse_fractions
        fractions = parse_fractions(args.train_fraction)
    spec = _load(args, args.spec, show_warnings=False)
    if spec.task_def.pretraining:
        raise UsageError(f"{args.spec} is a pretraining spec (task: masked_lm): run "
                         f"specc pretrain {args.spec}")
    _require(spec)
    if args.epochs is not None and not spec.model_kind.keras:
        raise UsageError("--epochs applies to Keras models; a scikit-learn estimator is "
                         "fitted once")
    spec = _override_epochs(spec, args.epochs)
    if spec.uses_keras:
        from specc.compiler.backends import use_backend
        use_backend(spec)
    if fractions is not None:
        from specc.runtime.sweep import learning_curve
        learning_curve(spec, fractions, out=args.out)
        return 0
    from specc.api import train
    train(spec, out=args.out, callback=print)
    return 0


PREDICT_CHUNK = 4096
"""Texts predicted per call by ``specc predict`` (progress is shown between chunks)."""


def cmd_predict(args) -> int:
    """Predict texts from arguments, ``--input`` or stdin; write JSON Lines or CSV."""
    from specc.api import load_run, read_texts
    if args.input is not None and args.texts:
        raise UsageError("give texts as arguments or --input, not both")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError("--batch-size must be >= 1")
    suffix = "" if args.output is None else args.output.rsplit(".", 1)[-1].lower()
    if args.output is not None and suffix not in ("csv", "jsonl"):
        raise UsageError(f"--output {args.output}: the file name must end in .csv or .jsonl")
    if args.input is not None:
        texts = read_texts(args.input, text_column=args.text_column, format=args.format)
    elif args.texts:
        texts = list(args.texts)
    else:
        raise UsageError("nothing to predict: give TEXT arguments or --input FILE (- for stdin)")
    run = load_run(args.run)
    rows: list[dict] = []
    show = sys.stderr.isatty() and len(texts) > PREDICT_CHUNK
    for start in range(0, len(texts), PREDICT_CHUNK):
        part = texts[start:start + PREDICT_CHUNK]
        for i, (text, row) in enumerate(zip(part, run.predict(part, args.batch_size).rows())):
            rows.append({"row": start + i + 1, "text": text, **row})
        if show:
            print(f"\rpredicted {len(rows)}/{len(texts)}", end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    _write_rows(rows, args.output, suffix)
    return 0


def _write_rows(rows: list[dict], output: str | None, suffix: str) -> None:
    """Rows as JSON Lines on stdout, or into ``output`` (CSV or JSON Lines), atomically."""
    import csv
    import io
    if suffix == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["row"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output is None:
        sys.stdout.write(text)
        return
    from specc.core.files import write_text
    write_text(Path(output), text)
    print(f"wrote {len(rows)} predictions to {output}", file=sys.stderr)


def cmd_evaluate(args) -> int:
    """Score a run on a labelled file; print the headline metrics (and the report's path)."""
    from specc.api import load_run
    run = load_run(args.run)
    m = run.evaluate(args.data, text_column=args.text_column, label_column=args.label_column,
                     format=args.format, out=args.out)
    from specc.reports.metrics import headline
    print(f"{headline(m)} on {m['n_test']} examples")
    if args.out:
        print(f"report: {args.out}/report.html (and report.md, metrics.json)")
    return 0


def cmd_pretrain(args) -> int:
    """Pretrain the spec's BERT backbone; the run folder holds the keras-hub preset."""
    spec = _load(args, args.spec, show_warnings=False)
    if not spec.task_def.pretraining:
        raise UsageError(f"{args.spec} has task {spec.task}: specc pretrain needs task "
                         f"masked_lm (use specc train)")
    _require(spec)
    spec = _override_epochs(spec, args.epochs)
    from specc.compiler.backends import use_backend
    use_backend(spec)
    from specc.runtime.pretrain import pretrain_spec
    pretrain_spec(spec, out=args.out)
    return 0


def cmd_export(args) -> int:
    """Export a run (see :mod:`specc.runtime.export`); print the path written."""
    from specc.api import load_run
    from specc.runtime.export import export_run
    print(f"wrote {export_run(load_run(args.run), args.format, args.out)}")
    return 0


def cmd_serve(args) -> int:
    """Serve the runs until Ctrl-C (see :mod:`specc.serve`)."""
    from specc.serve.app import ServeLimits, serve
    for name in ("max_texts", "max_text_chars", "max_body_bytes"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1")
    if not 0 <= args.batch_wait_ms <= 1000:
        raise UsageError("--batch-wait-ms must be between 0 and 1000")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    serve(args.runs, host=args.host, port=args.port,
          limits=ServeLimits(args.max_texts, args.max_text_chars, args.max_body_bytes,
                             args.batch_wait_ms / 1000))
    return 0


def cmd_report(args) -> int:
    """Re-render the plots, ``report.md`` and ``report.html`` of a finished run folder."""
    from specc.core.files import check_own_files
    from specc.core.lock import locked
    from specc.reports.render import render_run
    from specc.reports.runfiles import read_metrics
    read_metrics(args.run)  # a finished run folder, before its lock file is written
    with locked(args.run):  # not while a run writes it
        check_own_files(args.run)
        rendered = render_run(args.run)
    for warning in rendered.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in rendered.paths:
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
    spec = _load(args, args.spec, require=MODEL_RESOURCES)
    if not spec.model_kind.keras:
        raise UsageError("specc graph draws Keras models; this spec is a scikit-learn "
                         "pipeline (specc build prints its steps)")
    from specc.compiler.backends import use_backend
    use_backend(spec)
    from specc.compiler.graph import write_graph
    from specc.compiler.model import compile_spec
    print(f"wrote {write_graph(compile_spec(spec), args.out or f'{spec.name}.svg')}")
    return 0


COMMANDS = {"validate": cmd_validate, "schema": cmd_schema, "build": cmd_build, "train": cmd_train,
            "tune": cmd_tune,
            "pretrain": cmd_pretrain, "predict": cmd_predict, "evaluate": cmd_evaluate, "serve": cmd_serve,
            "export": cmd_export,
            "report": cmd_report, "compare": cmd_compare, "graph": cmd_graph}


TRAIN_MODULES = {"tensorflow", "keras", "keras_hub", "sklearn", "jinja2", "matplotlib", "pydot",
                 "tensorboard", "skops", "starlette", "uvicorn", "safetensors", "tokenizers"}
"""Top-level modules of the ``specc[train]`` extra: a command that needs one that is missing
says ``pip install "specc[train]"`` in one line."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``specc`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SpecError as e:
        print(str(e), file=sys.stderr)
        return e.exit_code
    except SpeccError as e:
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as e:
        package = (e.name or "").split(".")[0]
        if package not in TRAIN_MODULES:
            return _internal_error(args.command, e)
        print(f"error: specc {args.command} needs the training dependencies ({package} is not "
              f"installed): pip install \"specc[train]\"", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"error: specc {args.command} ran out of memory; use smaller sizes in the spec "
              "(batch_size, max_len, units) or a machine with more memory", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - a bug in specc: one line, not a traceback
        return _internal_error(args.command, e)


INTERNAL_ERROR = 70
"""Exit status of an exception that is not a SpeccError: a bug in specc (``EX_SOFTWARE``)."""


def _internal_error(command: str, error: Exception) -> int:
    """Report an exception that is not a :class:`SpeccError` (a bug in specc) as one line;
    with ``SPECC_TRACEBACK=1`` in the environment it is raised again, with its traceback."""
    import os
    if os.environ.get("SPECC_TRACEBACK") == "1":
        raise error
    print(f"error: internal error in specc {command} ({type(error).__name__}: "
          f"{one_line(str(error))[:300]}); this is a bug in specc: please report it with the "
          "command, and SPECC_TRACEBACK=1 shows where it happened", file=sys.stderr)
    return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
