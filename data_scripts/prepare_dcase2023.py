#!/usr/bin/env python
"""Download, verify and prepare the DCASE 2023 Task 7 Foley dev/eval set (Zenodo 8091972).

Usage: python data_scripts/prepare_dcase2023.py --root DIR [--url URL] [--checksum sha256:HEX]
(same as `foleybook prepare dcase2023`). The work is done by foleybook.download.DATASETS['dcase2023'].
"""
import sys
from foleybook.data.download import cli_main

if __name__ == '__main__': sys.exit(cli_main('dcase2023'))
