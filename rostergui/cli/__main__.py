"""``python -m rostergui.cli``: the same as the ``rostergui`` command."""

from rostergui.cli import main

main()
