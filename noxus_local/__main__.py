"""``python -m noxus_local`` and the PyInstaller entry point.

``_espeak-helper`` (hidden) makes the frozen binary its own espeak-ng helper
program (speech/espeak_helper.py), dispatched before the CLI loads anything.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["_espeak-helper"]:
        from noxus_local.speech.espeak_helper import main as espeak_helper

        sys.exit(espeak_helper(sys.argv[2:]))
    from noxus_local.cli.main import main

    sys.exit(main())
