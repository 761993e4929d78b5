"""The base of every error aecomp reports to users as one clear message (no traceback)."""


class AecompError(Exception):
    """An error whose message says what is wrong, where, and what to do."""


def exception_line(exc: BaseException) -> str:
    """The last line Python prints for ``exc`` (``ModuleNotFoundError: No module named 'x'``)."""
    import traceback

    return traceback.format_exception_only(type(exc), exc)[-1].strip()


#: errors that the command line shows as a message and exit status 1
USER_ERRORS = (AecompError,)
