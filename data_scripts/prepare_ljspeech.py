#!/usr/bin/env python
"""Download, verify and prepare the LJSpeech-1.1, for the DiffWave vocoder.

Usage: python data_scripts/prepare_ljspeech.py --root DIR [--url URL] [--checksum sha256:HEX]
(same as `foleybook prepare ljspeech`). The work is done by foleybook.download.DATASETS['ljspeech'].
"""
import sys
from foleybook.data.download import cli_main

if __name__ == '__main__': sys.exit(cli_main('ljspeech'))
