"""Entry point of `make run`: the code lives in integrations/runtime/run.py."""

from integrations.runtime.run import main

if __name__ == "__main__":
    main()
