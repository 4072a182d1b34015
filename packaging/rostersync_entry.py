"""Entry point of the packaged application: the same command line as ``rostergui``."""

from rostergui.cli import main

if __name__ == "__main__":
    main()
