#!/usr/bin/env python
"""Download, verify and prepare the VAS visual features + mels published with SpecVQGAN.

Usage: python data_scripts/prepare_vas.py --root DIR [--url URL] [--checksum sha256:HEX]
(same as `foleybook prepare vas`). The work is done by foleybook.download.DATASETS['vas'].
"""
import sys
from foleybook.data.download import cli_main

if __name__ == '__main__': sys.exit(cli_main('vas'))
