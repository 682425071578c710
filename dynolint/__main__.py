import sys

from dynolint.fastpath import try_fast_check

if __name__ == "__main__":
    status = try_fast_check(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from dynolint.cli import main

    main()
