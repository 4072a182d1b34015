"""The desktop window: thin Qt glue over :mod:`rostergui.core`.

Only this package imports Qt. Long work (opening the database, syncs, loading and freeing a
roster, history, checking a connection, exporting) runs as typed background operations
(:mod:`rostergui.ui.operation`) whose results reach their callbacks on the GUI thread, so the
window stays responsive while LTIAAS is slow. Dialogs open window-modal and answer by callback;
no event loop is nested inside a flow.
"""

from rostergui.ui import qt_fixes

qt_fixes.apply()
