from __future__ import annotations

from herald.cli.main import main

main()
