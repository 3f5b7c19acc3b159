"""Links cited by several case modules, spelled once. A module's own links stay in the module."""

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
CONTEXTS = DOCS + "#contexts-and-start-methods"
GUIDE_SPAWN = DOCS + "#the-spawn-and-forkserver-start-methods"
ALL_METHODS = DOCS + "#all-start-methods"
OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"
POSIX_FORK = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/fork.html"
