"""The archive: every application is a case (sak), every document the portal receives or sends
is a registry entry (journalpost) with its documents as PDF/A, sent to the body's postmottak
and exported in Noark 5's archive structure. See recording.py for how entries come about."""


def record(kind: str, source, actor=None) -> None:
    """Register the document `source` (of `kind`, see recording.KINDS) once the caller's
    transaction has committed. Call it inside the domain function, after the state change:
    a rolled-back action registers nothing, and an archive failure never undoes the action."""
    from .recording import record as _record

    _record(kind, source, actor=actor)
