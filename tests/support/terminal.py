"""A command in a pseudo-terminal, for programs that want a real one (`rasa shell`'s prompt): type lines,
wait for text to appear on the screen (ANSI escapes removed), and always end the program."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")


class Terminal:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], columns: int = 160) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self.process = subprocess.Popen(
            command, cwd=cwd, env={**env, "TERM": "xterm"}, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.screen = ""

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the program closed the terminal
                chunk = b""
            self.screen += ANSI.sub("", chunk.decode("utf-8", "replace"))

    def expect(self, text: str, timeout: float) -> None:
        """Wait until `text` is on the screen; AssertionError with the screen's end if it does not come."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self._read(0.5)
                if text in self.screen:
                    return
                raise AssertionError(f"{text!r} did not appear; the screen ends with:\n{self.screen[-3000:]}")
            self._read(0.5)

    def type(self, line: str) -> None:
        self.screen = ""  # what comes next is looked for in what comes next only
        os.write(self.master, line.encode() + b"\r")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.master)
