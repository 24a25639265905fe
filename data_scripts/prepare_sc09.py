#!/usr/bin/env python
"""Download, verify and prepare the SC09 spoken digits (Speech Commands v0.02 subset), for DiffWave.

Usage: python data_scripts/prepare_sc09.py --root DIR [--url URL] [--checksum sha256:HEX]
(same as `foleybook prepare sc09`). The work is done by foleybook.download.DATASETS['sc09'].
"""
import sys
from foleybook.data.download import cli_main

if __name__ == '__main__': sys.exit(cli_main('sc09'))
