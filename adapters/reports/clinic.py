"""Who and where a report is for: the clinic profile (a YAML file a clinic
writes once) and the patient and clinician of one report.

The profile is validated with marshmallow; an error names the key that is wrong
and why. Its ``doses`` fill what the sources leave out (see decision_core.catalogue.dose).
"""
from __future__ import annotations

import base64
import mimetypes
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from decision_core.catalogue.dose import Dose, DoseError, parse_spec
from decision_core.catalogue.messages import dotted, walk

PROFILE_ENV = "DECISION_CORE_CLINIC_PROFILE"
LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml"}
LOGO_MAX_BYTES = 512 * 1024
FOLLOW_UP_PARAMETER = "record"  # the query parameter that carries the record id to the clinic's follow-up form


class ClinicProfileError(ValueError):
    """A clinic profile that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ClinicProfile:
    name: str
    address: str | None = None
    phone: str | None = None
    emergency_number: str | None = None
    logo: str | None = None  # a data: URI, so the report still fetches nothing
    timezone: str = "UTC"
    language: str | None = None
    doses: Mapping[str, Dose] = field(default_factory=dict)
    programme_weeks: int | None = None  # the default length of a home programme, and so its review date
    # the clinic's own follow-up form (it hosts it); the handout links it with ?record=<record id>
    follow_up_url: str | None = None

    def follow_up_link(self, record_id: str | None) -> str | None:
        """The follow-up form's address for this record (``?record=<id>`` added to the clinic's URL, its
        own query kept), or None without a record id or a follow-up URL."""
        if not (record_id and self.follow_up_url):
            return None
        parts = urlsplit(self.follow_up_url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != FOLLOW_UP_PARAMETER]
        query.append((FOLLOW_UP_PARAMETER, record_id))
        return urlunsplit(parts._replace(query=urlencode(query)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Patient:
    name: str | None = None
    birth_date: date | None = None
    identifier: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.birth_date or self.identifier)


def dose_value(value: Any, basis: str) -> Dose:
    """A dose written short ('3x12@daily') or as fields ({sets: 3, reps: 12, frequency: daily})."""
    if isinstance(value, str):
        return parse_spec(value, basis=basis)
    return Dose.from_dict(value, basis=basis)


class _DoseField(fields.Field):
    def __init__(self, basis: str, **kwargs):
        super().__init__(**kwargs)
        self.basis = basis

    def _deserialize(self, value, attr, data, **kwargs) -> Dose:
        try:
            return dose_value(value, self.basis)
        except DoseError as exc:
            raise ValidationError(str(exc)) from None


def _timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London") from None


class ClinicProfileSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=500))
    phone = fields.String(validate=validate.Length(min=3, max=40))
    emergency_number = fields.String(validate=validate.Length(min=2, max=20))
    logo = fields.String(validate=validate.Length(min=1))
    timezone = fields.String(load_default="UTC", validate=_timezone)
    language = fields.String(validate=validate.Length(min=2, max=10))
    doses = fields.Dict(keys=fields.String(validate=validate.Length(min=1)), values=_DoseField("clinic"),
                        load_default=dict)
    programme_weeks = fields.Integer(validate=validate.Range(min=1, max=52), strict=True)
    follow_up_url = fields.Url(schemes={"https", "http"}, require_tld=False, validate=validate.Length(max=300))


def _flatten(messages: Any) -> list[str]:
    return [f"{dotted(path)}: {message}" if path else message for path, message in walk(messages)]


def _logo_uri(value: str, folder: Path) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = folder / path
    media_type = mimetypes.guess_type(path.name)[0]
    if media_type not in LOGO_TYPES:
        raise ClinicProfileError(f"logo: {value!r} must be a PNG, JPEG or SVG file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClinicProfileError(f"logo: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > LOGO_MAX_BYTES:
        raise ClinicProfileError(f"logo: {path} is {len(data) // 1024} KB; a logo may be at most "
                                 f"{LOGO_MAX_BYTES // 1024} KB")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _recommendation_ids(core) -> set[str] | None:
    from decision_core.installation import catalogue_or_none

    catalogue = catalogue_or_none(core)
    return None if catalogue is None else set(catalogue.recommendations)


def load_clinic_profile(path: str | os.PathLike, core=None) -> ClinicProfile:
    """Read and check a clinic profile against ``core``'s recommendations and languages (default: the
    process default's); ClinicProfileError names the file, the key and what is wrong."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClinicProfileError(f"clinic profile {path}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ClinicProfileError(f"clinic profile {path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ClinicProfileError(f"clinic profile {path}: must be a mapping of keys such as name, phone, timezone")
    try:
        data = ClinicProfileSchema().load(raw)
    except ValidationError as exc:
        raise ClinicProfileError(f"clinic profile {path}: " + "; ".join(_flatten(exc.messages))) from None
    known = _recommendation_ids(core)
    unknown = sorted(set(data["doses"]) - known) if known is not None else []
    if unknown:
        raise ClinicProfileError(f"clinic profile {path}: doses.{unknown[0]}: not a recommendation id "
                                 "(decision-core causes lists them)")
    if data.get("language"):
        _check_language(data["language"], path, core)
    if data.get("logo"):
        try:
            data["logo"] = _logo_uri(data["logo"], path.parent)
        except ClinicProfileError as exc:
            raise ClinicProfileError(f"clinic profile {path}: {exc}") from None
    return ClinicProfile(**data)


def _check_language(lang: str, path: Path, core) -> None:
    try:
        from decision_core.i18n.translations import UnknownLanguage, get_translator
    except ImportError:  # translations not installed: English only
        if lang != "en":
            raise ClinicProfileError(f"clinic profile {path}: language: only 'en' is available") from None
        return
    try:
        get_translator(lang, core)
    except UnknownLanguage as exc:
        raise ClinicProfileError(f"clinic profile {path}: language: {exc}") from None


def profile_from_environment(core=None) -> ClinicProfile | None:
    """The clinic profile named by $DECISION_CORE_CLINIC_PROFILE, if any (checked as :func:`load_clinic_profile`)."""
    path = os.environ.get(PROFILE_ENV)
    return load_clinic_profile(path, core) if path else None
