"""``ebpm samples``: re-create the synthetic training data byte-for-byte."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_samples_parser"]


def _cmd_samples(args: argparse.Namespace) -> int:
    from ebpm.samples import write_record_samples, write_samples

    written = write_samples(args.out) + write_record_samples(args.out / "records")  # + issue 11
    for path in written:
        print(f"書き出しました: {path}")
    print("研修用サンプルデータ（架空の値）です。`ebpm build` でウェアハウスに読み込みます。")
    return 0


def add_samples_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ebpm import paths

    samples = commands.add_parser("samples", help="研修用サンプルデータ（架空の値）を作り直す")
    samples.add_argument(
        "--out",
        type=Path,
        default=paths.RAW / "sample",
        help="出力フォルダ（既定: data/raw/sample）",
    )
    samples.set_defaults(func=_cmd_samples)
