"""SST-2, the binary Stanford Sentiment Treebank: sentence-level 6,920 / 872 / 1,821.

Source: Richard Socher, Alex Perelygin, Jean Wu, Jason Chuang, Christopher D. Manning,
Andrew Ng, Christopher Potts. "Recursive Deep Models for Semantic Compositionality Over
a Sentiment Treebank." EMNLP 2013. GLUE train: Wang et al., "GLUE: A Multi-Task
Benchmark and Analysis Platform for Natural Language Understanding", ICLR 2019.
"""

from __future__ import annotations

from pathlib import Path

from specc.data.base import TextDataset
from specc.data.files import Labelled, read_records, text_dataset

CLASS_NAMES = ["negative", "positive"]
FILES = {
    "sst2/sentence_level/train.tsv": "ec192f833a64da08f475488a77b0d0b47db47acd0f458bd18433fc793b569920",
    "sst2/sentence_level/dev.tsv": "eddea6b39e601dd4e7a672b53cc40fdf6019fa80522f351206c24340ca5d9359",
    "sst2/sentence_level/test.tsv": "831169c7e2e429d6026e1bdbb542f33b636e3e596caad9602ebc953c205928b7",
    "sst2/glue/train.tsv": "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
}
TRAIN_CHOICES = ("sentence_level", "glue")


def needed_files(options: dict) -> list[str]:
    """The files a load with ``options`` reads (glue/train.tsv only for ``train: glue``)."""
    train = "sst2/glue/train.tsv" if options["train"] == "glue" else "sst2/sentence_level/train.tsv"
    return [train, "sst2/sentence_level/dev.tsv", "sst2/sentence_level/test.tsv"]


def _split(path: Path, header: bool) -> Labelled:
    records = read_records(path, "tsv", columns=None if header else ["sentence", "label"])
    return Labelled(records.column("sentence"), records.column("label"), records.origins)


def load(data_dir: Path, options: dict) -> TextDataset:
    """Read the SST-2 TSV files (no field is quoted; sentence-level files have no header).

    Option ``train``: ``sentence_level`` (default, 6,920 sentences) or ``glue`` (the GLUE
    train file, 67,349 phrases and sub-sentence spans); dev (872) and test (1,821) are
    always the labelled sentence-level files. Labels: 0 = negative, 1 = positive.
    """
    train_file, dev_file, test_file = (data_dir / f for f in needed_files(options))
    glue = options["train"] == "glue"
    splits = {"train": _split(train_file, header=glue), "dev": _split(dev_file, False),
              "test": _split(test_file, False)}
    dataset = text_dataset(splits, classification=True, source="")
    dataset.class_names = list(CLASS_NAMES)  # ids 0/1 are already in numeric order
    dataset.source = (f"SST-2 (Socher et al., EMNLP 2013), train={options['train']}, "
                      f"from {data_dir / 'sst2'}")
    return dataset
