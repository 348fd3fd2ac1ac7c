"""Entry point of `make test-dialogues`: the code lives in bot/checks/dialogue_replay.py."""

import sys

from bot.checks.dialogue_replay import main

if __name__ == "__main__":
    sys.exit(main())
