"""``python -m rostergui``: the same as the ``rostergui`` command."""

from rostergui.cli import main

main()
