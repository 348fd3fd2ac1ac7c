"""Entry point of `make production`: the code lives in integrations/runtime/production.py."""

from integrations.runtime.production import main

if __name__ == "__main__":
    main()
