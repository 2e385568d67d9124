#!/usr/bin/env bash
# GPU check: train specs/lstm.yaml and specs/sst2_bert_finetune.yaml from prepared token ids
# under JAX and PyTorch on a GPU machine that has Python (+ JAX, PyTorch) but maybe no
# TensorFlow and no network; print samples/s, epoch times, test accuracy and the device.
#
#   bash bench/gpu_check.sh prepare  # CPU machine with specc's .venv and the data:
#                                    # .gpucheck/{lstm,sst2_bert_finetune}.npz, minilm-l6/
#                                    # (float16 weights) and wheels/ (cp312 manylinux)
#   bash bench/gpu_check.sh wheels   # only the wheels (GPUCHECK_PY=3.11 for another Python)
#   bash bench/gpu_check.sh run      # GPU machine: install the wheels into /tmp/site, train
#                                    # every .npz in .gpucheck/ on each backend
#
# Environment: GPUCHECK_DIR (.gpucheck), GPUCHECK_WHEELS ($GPUCHECK_DIR/wheels),
# GPUCHECK_PY (3.12: the GPU machine's Python), GPUCHECK_BACKENDS ("jax torch"),
# GPUCHECK_SPECS (run: e.g. "lstm"; default every .npz in $GPUCHECK_DIR),
# GPUCHECK_EPOCHS / GPUCHECK_MAX_TRAIN / _MAX_VAL / _MAX_TEST (limits, random rows; default:
# the spec's epochs, all rows), GPUCHECK_TIMEOUT (seconds per training, 240), GPUCHECK_SITE
# (/tmp/site), GPUCHECK_RESULTS (JSON lines; default $OUT/gpu_check.jsonl or /tmp/...),
# PYTHON (python3 for run; .venv/bin/python for prepare and wheels).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${GPUCHECK_DIR:-.gpucheck}
WHEELS=${GPUCHECK_WHEELS:-$DIR/wheels}
# Not on the GPU machine's image (/work/.library/device/KINDS.md), needed by specc + Keras
# (kagglehub left out: keras-hub runs without it, only its downloads need it):
NEEDED="keras namex optree keras-hub jsonschema jsonschema-specifications referencing rpds-py"

wheels() {
  local py=${PYTHON:-.venv/bin/python} v=${GPUCHECK_PY:-3.12} pins
  pins=$("$py" -c 'import sys, importlib.metadata as m
print(" ".join(f"{n}=={m.version(n)}" for n in sys.argv[1:]))' $NEEDED)
  rm -rf "$WHEELS" && mkdir -p "$WHEELS"
  echo "== wheels for CPython $v, x86-64 Linux: $pins"
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version "$v" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d "$WHEELS" $pins
  du -sh "$WHEELS"
}

case "${1:-}" in
prepare)
  "${PYTHON:-.venv/bin/python}" bench/gpu_check.py prepare "$DIR" \
    ${GPUCHECK_MAX_TRAIN:+--max-train "$GPUCHECK_MAX_TRAIN"} \
    ${GPUCHECK_MAX_TEST:+--max-test "$GPUCHECK_MAX_TEST"}
  wheels
  du -sh "$DIR"/*
  echo "== carry in two device calls (64 MiB each): [$WHEELS, $DIR/lstm.npz] and"
  echo "   [$WHEELS, $DIR/sst2_bert_finetune.npz, $DIR/minilm-l6]; command: bash bench/gpu_check.sh run"
  ;;
wheels) wheels ;;
run)
  PY=${PYTHON:-python3} SITE=${GPUCHECK_SITE:-/tmp/site}
  if ! ls "$DIR"/*.npz "$WHEELS"/*.whl >/dev/null 2>&1; then
    echo "== nothing prepared: $DIR/*.npz and $WHEELS/*.whl come from"\
      "'bash bench/gpu_check.sh prepare' on a CPU machine (carry them here)"
    exit 2
  fi
  RESULTS=${GPUCHECK_RESULTS:-${OUT:-/tmp}/gpu_check.jsonl}
  echo "== $(hostname) $(date -u +%FT%TZ); $("$PY" --version 2>&1) at $(command -v "$PY")"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
    || echo "== no nvidia-smi"
  echo "== installing $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS into $SITE"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHEELS"/*.whl
  export PYTHONPATH="$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
  KERAS_BACKEND=jax "$PY" -c 'import importlib.util as u, keras, jax
print("== keras", keras.__version__, "jax", jax.__version__, "torch:",
      bool(u.find_spec("torch")), "tensorflow:", bool(u.find_spec("tensorflow")))'
  : >"$RESULTS"
  args=(${GPUCHECK_EPOCHS:+--epochs "$GPUCHECK_EPOCHS"}
        ${GPUCHECK_MAX_TRAIN:+--max-train "$GPUCHECK_MAX_TRAIN"}
        ${GPUCHECK_MAX_VAL:+--max-val "$GPUCHECK_MAX_VAL"}
        ${GPUCHECK_MAX_TEST:+--max-test "$GPUCHECK_MAX_TEST"} --results "$RESULTS")
  failed=0
  specs=${GPUCHECK_SPECS:-$(cd "$DIR" && ls *.npz | sed 's/\.npz$//')}
  for spec in $specs; do
    npz=$DIR/$spec.npz
    for backend in ${GPUCHECK_BACKENDS:-jax torch}; do
      echo "== $backend: $(basename "$npz" .npz) (limit ${GPUCHECK_TIMEOUT:-240} s)"
      rc=0
      KERAS_BACKEND=$backend timeout -k 10 "${GPUCHECK_TIMEOUT:-240}" \
        "$PY" bench/gpu_check.py train "$npz" "${args[@]}" || rc=$?
      if [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
        echo "== $backend: $(basename "$npz" .npz) FAILED (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"
      fi
    done
  done
  echo "== summary ($RESULTS)"
  "$PY" - "$RESULTS" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    o = r["options"]
    print(f"{r['spec']:<20} {r['backend']:<6} {r['device']:<24} train {r['train_samples_per_s']:>8}/s"
          f"  predict {r['predict_samples_per_s']:>8}/s  epochs {r['epoch_train_seconds']} s"
          f"  test acc {r['test_accuracy']}  mixed {o['mixed_precision']} jit {o['jit_compile']}")
EOF
  exit "$failed"
  ;;
*) sed -n '2,19p' "$0"; exit 2 ;;
esac
