"""What the CLI tests share: `foleybook` run in-process as a user runs it."""
from foleybook.cli import main


def run(argv, capsys):
    "main(argv) -> (exit code, stdout, stderr); argparse's SystemExit becomes its code (argv items made strings)."
    try: code = main([str(a) for a in argv])
    except SystemExit as e: code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err
