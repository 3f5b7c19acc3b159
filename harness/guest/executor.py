"""The case's parent process, as a main module: ``python -I executor.py ROOT CASE METHOD OUT``.

Deliberately tiny: spawn and forkserver children run the parent's main module again (as
``__mp_main__``, from source), as they would a user's short script. The work is in
``harness.guest.case_parent``. Standard library only, Python 3.8 syntax.
"""

if __name__ == "__main__":
    import sys

    sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else ".")
    from harness.guest.case_parent import main

    sys.exit(main(sys.argv))
