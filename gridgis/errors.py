"""The one place where gridgis declares its exceptions.

Every error raised on purpose by the library derives from :class:`GridGisError`
and from the nearest built-in exception, so callers may catch either. Messages
say what was wrong and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AttachmentError",
    "AttachmentNotFoundError",
    "AttachmentTooLargeError",
    "BasemapError",
    "CategoryError",
    "CodeError",
    "ConflictError",
    "CoordinateError",
    "DeviceNotFoundError",
    "FilterError",
    "GridGisError",
    "IncidentNotFoundError",
    "InputError",
    "LayerError",
    "MissingInputError",
    "MissingLayerError",
    "OsmExtractError",
    "OutsideDistrictError",
    "PatrolNotFoundError",
    "PlanError",
    "PlanWorseError",
    "RecordNotFoundError",
    "RosterError",
    "SignInError",
    "SourceFileError",
    "StaffError",
    "StoreBusyError",
    "StoreError",
    "TransitionError",
    "UnsupportedMediaError",
]


class GridGisError(Exception):
    """Base class of every error gridgis raises on purpose."""


class LayerError(GridGisError, ValueError):
    """A layer does not match its declared schema or holds bad geometries.

    Attributes
    ----------
    layer : str
        Name of the offending layer.
    column : str or None
        Name of the offending column, when one is to blame.
    rows : list
        Index labels of the first offending rows (at most ten).
    """

    def __init__(
        self, message: str, *, layer: str, column: str | None = None, rows: list | None = None
    ) -> None:
        super().__init__(message)
        self.layer = layer
        self.column = column
        self.rows = list(rows or [])


class MissingLayerError(GridGisError, LookupError):
    """A required layer is absent from a file or a :class:`~gridgis.Layers`."""

    def __init__(self, message: str, *, layer: str) -> None:
        super().__init__(message)
        self.layer = layer

    def __str__(self) -> str:  # LookupError would repr() the message
        return str(self.args[0])


class CoordinateError(GridGisError, ValueError):
    """Coordinates are missing, out of range, or in an unknown reference system."""


class CodeError(GridGisError, ValueError):
    """An administrative or grid code is malformed or inconsistent with its parent."""


class OutsideDistrictError(GridGisError, LookupError):
    """A location lies outside every grid of the district (beyond the snap tolerance)."""

    def __str__(self) -> str:
        return str(self.args[0])


class CategoryError(GridGisError, LookupError):
    """An incident category is unknown or the category table is malformed."""

    def __str__(self) -> str:
        return str(self.args[0])


class TransitionError(GridGisError, ValueError):
    """An action is not allowed in the incident's state, for the actor's role, or yet."""


class ConflictError(GridGisError, RuntimeError):
    """Someone else changed the incident first (its version moved on); reload and retry."""


class IncidentNotFoundError(GridGisError, LookupError):
    """No incident has the given identifier."""

    def __str__(self) -> str:
        return str(self.args[0])


class DeviceNotFoundError(GridGisError, LookupError):
    """No IoT device of the district's sensor registry has the given identifier."""

    def __str__(self) -> str:
        return str(self.args[0])


class PatrolNotFoundError(GridGisError, LookupError):
    """No patrol has the given identifier (or none the reader may see)."""

    def __str__(self) -> str:
        return str(self.args[0])


class RecordNotFoundError(GridGisError, LookupError):
    """No record of the base information (一标三实) has this id (``field`` names the key)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class PlanError(GridGisError, ValueError):
    """A grid plan cannot be built, edited or adopted as asked (the message says why)."""


class PlanWorseError(PlanError):
    """A proposed plan is worse than the plan in force on the chosen objective.

    Attributes
    ----------
    objective : str
        The objective compared (see :data:`gridgis.planning.metrics.OBJECTIVES`).
    current, proposed : dict
        :func:`gridgis.planning.metrics.plan_summary` of both plans.
    """

    def __init__(self, message: str, *, objective: str, current: dict, proposed: dict) -> None:
        super().__init__(message)
        self.objective = objective
        self.current = current
        self.proposed = proposed


class StaffError(GridGisError, ValueError):
    """A staff record or roster row is malformed (``field`` names the culprit)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InputError(GridGisError, ValueError):
    """A value given to the library is unusable (empty, out of bounds, in the future).

    Attributes
    ----------
    field : str
        Name of the offending argument (``description``, ``reported_at``, …).
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class FilterError(InputError):
    """A filter of a feature query is unknown or malformed (``field`` names the parameter).

    OGC API Features answers these with 400 (``/req/core/query-param-unknown`` and
    ``/req/core/query-param-invalid``).
    """


class MissingInputError(TransitionError, InputError):
    """An action of the loop lacks an input it needs (``field`` names it: ``lon``, ``place``…)."""

    def __init__(self, message: str, *, field: str) -> None:
        InputError.__init__(self, message, field=field)


class RosterError(StaffError):
    """Rows of a staff roster are malformed; nothing of the roster was saved.

    Attributes
    ----------
    problems : list of (int, str, str)
        Every bad row: its row number in the file (the header is row 1), the
        field to blame and the reason.
    """

    def __init__(self, message: str, *, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(message, field=problems[0][1] if problems else None)
        self.problems = list(problems)


class SignInError(GridGisError, PermissionError):
    """The name and password do not match an active member of staff, or the token is bad."""


class AccessDeniedError(GridGisError, PermissionError):
    """The signed-in person may not do this, or not here (the message says why)."""


class StoreError(GridGisError, RuntimeError):
    """The incident store cannot be used: damaged, read-only, incomplete or too new.

    Attributes
    ----------
    path : str or None
        The store's file (None for a store in memory).
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class StoreBusyError(GridGisError, RuntimeError):
    """The incident store stayed locked by another writer beyond its busy timeout.

    Nothing was written; the same call may be retried after a moment.

    Attributes
    ----------
    retry_after : int
        Seconds after which a retry is sensible.
    """

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AttachmentError(GridGisError, ValueError):
    """An uploaded file cannot be attached: damaged, or a value given with it is wrong.

    Attributes
    ----------
    field : str
        The part of the upload to blame (``file``, ``stage``, ``note``).
    """

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


class UnsupportedMediaError(AttachmentError):
    """The file's bytes are not one of the accepted types (JPEG, PNG, HEIC/HEIF, MP4).

    Attributes
    ----------
    found : str
        The type the bytes show (a media type or a short description).
    """

    def __init__(self, message: str, *, found: str) -> None:
        super().__init__(message, field="file")
        self.found = found


class AttachmentTooLargeError(AttachmentError):
    """The file exceeds the size limit of its kind.

    Attributes
    ----------
    limit : int
        The limit in bytes.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, field="file")
        self.limit = limit


class OsmExtractError(GridGisError, ValueError):
    """An OpenStreetMap extract cannot be read, or holds no drivable roads where asked."""


class AttachmentNotFoundError(GridGisError, LookupError):
    """No attachment has this id that the reader may see (others' are not disclosed)."""

    def __str__(self) -> str:
        return str(self.args[0])


class SourceFileError(GridGisError, ValueError):
    """A planner's input file (or the mapping that describes it) cannot be imported.

    Attributes
    ----------
    file : str
        The offending file (the data file, or the mapping file).
    row : int or None
        1-based row of the file (the spreadsheet row, or the feature number).
    column : str or None
        The column of the file (or the mapping key) to blame.
    """

    def __init__(self, message: str, *, file: str, row: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.row = row
        self.column = column


class BasemapError(GridGisError, ValueError):
    """A basemap tile file cannot be used: missing, not MBTiles, or not vector tiles."""
