import os
import sys

# ``python -m dynolint`` puts the working directory first on the import path: a module of the
# analysed tree named like a library dynolint imports (click.py, json.py) would run. dynolint
# itself is already imported here, and its submodules are found through the package.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from dynolint.engine.fastpath import main

if __name__ == "__main__":
    main()
