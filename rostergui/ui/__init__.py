"""The desktop window: thin Qt glue over :mod:`rostergui.core`.

Only this package imports Qt. Long work (syncs, loading a roster, checking a connection,
exporting) runs in worker objects on their own threads; results cross back by signals, so the
window stays responsive while LTIAAS is slow.
"""

from rostergui.ui import qt_fixes

qt_fixes.apply()
