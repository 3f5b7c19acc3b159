"""Links cited by several case modules and by ``check``'s diagnoses, spelled once (guest code:
both import it). A module's own links stay in the module."""

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
CONTEXTS = DOCS + "#contexts-and-start-methods"
GUIDE_SPAWN = DOCS + "#the-spawn-and-forkserver-start-methods"
ALL_METHODS = DOCS + "#all-start-methods"
OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"
#: The default start method changed on Linux (forkserver from 3.14).
WHATSNEW_314 = ("https://docs.python.org/3.14/whatsnew/3.14.html"
                "#whatsnew314-multiprocessing-start-method")
POSIX_FORK = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/fork.html"
FUTURES = "https://docs.python.org/3/library/concurrent.futures.html"
PROCESS_POOL = FUTURES + "#processpoolexecutor"
BROKEN_POOL = FUTURES + "#concurrent.futures.process.BrokenProcessPool"
#: The fork server preloads __main__ (fixed in 3.13.8 and 3.14.1, GH-135295).
GH_126631 = "https://github.com/python/cpython/issues/126631"
NEWS_3138 = "https://github.com/python/cpython/blob/v3.13.8/Misc/NEWS.d/3.13.8.rst"
NEWS_3141 = "https://github.com/python/cpython/blob/v3.14.1/Misc/NEWS.d/3.14.1.rst"
#: 3.15: set_forkserver_preload(on_error=...); errors preloading __main__ ignored by default.
GH_141860 = "https://github.com/python/cpython/issues/141860"
#: PyPy 3.9: ProcessPoolExecutor.submit() raises AttributeError under spawn/forkserver.
PYPY_3910 = "https://github.com/pypy/pypy/issues/3910"

