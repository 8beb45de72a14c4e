"""SQLAlchemy models: plain tables, no crypto and no request handling."""

from app.models.cases import Case, OrganisationKey, Referral, ReferralEvent, ReferralFeedback
from app.models.central import (
    AuditEntry,
    CentralKey,
    EnrolmentCode,
    FailedAttempt,
    ReceivedRecord,
    Station,
    StationKey,
)
from app.models.directory import DirectoryVersion
from app.models.exports import ExportRun
from app.models.facts import RecordFacts, SavedFilter
from app.models.odk import OdkSubmission
from app.models.record import Record, RecordState
from app.models.session import AuthSession
from app.models.station import Installation, KeySlot
from app.models.user import User

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Case",
    "CentralKey",
    "DirectoryVersion",
    "EnrolmentCode",
    "ExportRun",
    "FailedAttempt",
    "Installation",
    "OrganisationKey",
    "KeySlot",
    "OdkSubmission",
    "ReceivedRecord",
    "RecordFacts",
    "Record",
    "RecordState",
    "Referral",
    "ReferralEvent",
    "ReferralFeedback",
    "SavedFilter",
    "Station",
    "StationKey",
    "User",
]
