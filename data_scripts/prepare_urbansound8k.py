#!/usr/bin/env python
"""Download, verify and prepare the UrbanSound8K (Zenodo 1203745), used to pre-train the vocoder.

Usage: python data_scripts/prepare_urbansound8k.py --root DIR [--url URL] [--checksum sha256:HEX]
(same as `foleybook prepare urbansound8k`). The work is done by foleybook.download.DATASETS['urbansound8k'].
"""
import sys
from foleybook.data.download import cli_main

if __name__ == '__main__': sys.exit(cli_main('urbansound8k'))
