#!/usr/bin/env python
import sys

from rsportal.__main__ import main

if __name__ == "__main__":
    sys.argv[0] = "manage.py"
    main()
