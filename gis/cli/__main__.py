"""`python -m gis.cli` runs the `dideng` command line."""

from gis.cli import main

if __name__ == "__main__":
    main()
