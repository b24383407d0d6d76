"""The drive a visitor chose, kept in their session (no account needed), and the drive
a page is about (given in its address, so that links can be shared and pages cached)."""

from dataclasses import asdict, dataclass

from marketplace.cache import cached_with_local_copy
from shops.models import Drive

SESSION_KEY = "drive"
URL_PARAMETER = "drive"


@dataclass(frozen=True)
class ChosenDrive:
    """What pages need of a drive: kept in the session (or the cache) so that showing
    it costs no query."""

    id: int
    name: str
    slug: str
    town: str
    latitude: float
    longitude: float

    @classmethod
    def of(cls, drive: Drive) -> "ChosenDrive":
        return cls(drive.pk, drive.name, drive.slug, drive.town, drive.latitude, drive.longitude)


def chosen_drive(request) -> ChosenDrive | None:
    data = request.session.get(SESSION_KEY)
    try:
        return ChosenDrive(**data) if data else None
    except TypeError:  # a session written by an older version
        return None


def choose_drive(request, drive: Drive) -> ChosenDrive:
    chosen = ChosenDrive.of(drive)
    request.session[SESSION_KEY] = asdict(chosen)
    return chosen


def drive_in_url(request) -> ChosenDrive | None:
    """The drive named by the page's address (?drive=<slug>), if it exists."""
    slug = request.GET.get(URL_PARAMETER, "")
    if not slug or len(slug) > 140:
        return None

    def read():
        drive = Drive.objects.filter(slug=slug, is_active=True).first()
        return asdict(ChosenDrive.of(drive)) if drive else {}

    # Five minutes in the shared cache, and ten seconds more in the process (real drives
    # only): every search and book page names its drive.
    data = cached_with_local_copy(f"drive:{slug}", read, timeout=300, local_seconds=10, keep_if=bool)
    return ChosenDrive(**data) if data else None
