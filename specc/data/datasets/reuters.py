"""Reuters-46: single-topic newswires of the Reuters-21578 ModApte split, 46 topics.

Source: David D. Lewis, Reuters-21578 text categorization test collection,
Distribution 1.0 (README v1.2, 1997); © Reuters Ltd., free for research purposes only.

Derivation (documented in docs/datasets.md):

1. ModApte: ``TOPICS="YES"`` and ``LEWISSPLIT="TRAIN"`` (train) or ``"TEST"`` (test).
2. Keep documents whose ``<TOPICS>`` holds exactly one ``<D>`` topic.
3. Text = TITLE + "\\n" + BODY (each HTML-unescaped and stripped); drop documents
   where both are empty.
4. Count topics over train + test; keep the 46 most frequent, ranked by descending
   count, ties broken alphabetically. Class id = rank (0 = earn).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import numpy as np

from specc.data.archives import iter_tar
from specc.data.base import TextDataset

FILE = "reuters21578/reuters21578.tar.gz"
SHA256 = "f1d6d3fe8442e7c80d25427b1be4326925a4e55e3d5e8d5c305af6ad9dfbd66f"
N_TOPICS = 46
# What load() derives from the verified file (id order); kept here so the names are
# known without loading. tests/data checks that the derivation still gives this list.
CLASS_NAMES = [
    "earn", "acq", "crude", "trade", "money-fx", "interest", "money-supply", "ship",
    "sugar", "coffee", "gold", "gnp", "cpi", "cocoa", "grain", "alum", "jobs", "reserves",
    "copper", "ipi", "rubber", "iron-steel", "nat-gas", "bop", "veg-oil", "tin", "cotton",
    "wpi", "orange", "retail", "pet-chem", "gas", "livestock", "housing",
    "strategic-metal", "lei", "zinc", "carcass", "fuel", "income", "lumber", "heat",
    "oilseed", "lead", "meal-feed", "dlr",
]
MEMBER = r"reuters21578/reut2-\d{3}\.sgm"
_DOC = re.compile(r"<REUTERS([^>]*)>(.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_SPLITS = {"TRAIN": "train", "TEST": "test"}


def _field(tag: str, doc: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", doc, re.S)
    return match.group(1) if match else ""


def parse_sgml(text: str):
    """Yield ``(attributes, topics, title, body)`` per ``<REUTERS>`` document of one
    SGML file (attributes in any order; title/body HTML-unescaped, stripped)."""
    for match in _DOC.finditer(text):
        attrs = dict(_ATTR.findall(match.group(1)))
        doc = match.group(2)
        topics = re.findall(r"<D>(.*?)</D>", _field("TOPICS", doc))
        yield (attrs, topics, html.unescape(_field("TITLE", doc)).strip(),
               html.unescape(_field("BODY", doc)).strip())


def load(data_dir: Path, options: dict) -> TextDataset:
    """Derive Reuters-46 from the raw SGML tarball (see the module docstring for the rule).

    Returns a :class:`TextDataset` (no dev split) whose ``class_names`` are the 46 topics by
    descending frequency; ``notes`` holds the counts of each filtering step and per topic.
    """
    docs: list[tuple[str, str, str]] = []  # (split, topic, text), in file/NEWID order
    dropped = Counter()
    for _match, raw in iter_tar(data_dir / FILE, MEMBER):
        for attrs, topics, title, body in parse_sgml(raw.decode("latin-1")):
            split = _SPLITS.get(attrs.get("LEWISSPLIT", ""))
            if split is None or attrs.get("TOPICS") != "YES":
                continue
            if len(topics) != 1:
                dropped["no_topic" if not topics else "multi_topic"] += 1
                continue
            if not title and not body:
                dropped["empty_text"] += 1
                continue
            docs.append((split, topics[0], f"{title}\n{body}"))
    counts = Counter(topic for _, topic, _ in docs)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    names = ranked[:N_TOPICS]
    ids = {t: i for i, t in enumerate(names)}
    dropped["rare_topic"] = sum(counts[t] for t in ranked[N_TOPICS:])
    kept = {s: [(ids[t], text) for sp, t, text in docs if sp == s and t in ids]
            for s in ("train", "test")}
    return TextDataset(
        train_texts=[text for _, text in kept["train"]],
        train_labels=np.array([i for i, _ in kept["train"]], dtype=np.int64),
        test_texts=[text for _, text in kept["test"]],
        test_labels=np.array([i for i, _ in kept["test"]], dtype=np.int64),
        class_names=names,
        source=f"Reuters-21578 ModApte, single-topic, top {N_TOPICS} (Lewis 1997) "
               f"from {data_dir / FILE}",
        notes={"train": len(kept["train"]), "test": len(kept["test"]),
               "dropped": dict(dropped), "topics_seen": len(counts),
               "per_topic": {t: {s: sum(1 for i, _ in kept[s] if i == ids[t])
                                 for s in ("train", "test")} for t in names}})
