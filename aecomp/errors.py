"""The base of every error aecomp reports to users as one clear message (no traceback)."""


class AecompError(Exception):
    """An error whose message says what is wrong, where, and what to do."""


#: errors that the command line shows as a message and exit status 1
USER_ERRORS = (AecompError,)
