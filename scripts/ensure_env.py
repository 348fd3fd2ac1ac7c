"""Entry point of `make env`: the code lives in integrations/runtime/env_file.py."""

from integrations.runtime.env_file import ensure_env

if __name__ == "__main__":
    ensure_env()
