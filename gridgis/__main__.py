"""``python -m gridgis`` runs the command line."""

from gridgis.cli import main

main()
