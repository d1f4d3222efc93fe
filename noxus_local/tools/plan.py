"""A job's plan: what a tool learns once, at the request, and every later step reads.

``Tool.plan(params, files, limits)`` runs once while the request is answered, before
any money moves: it probes the input (a refusal is a 4xx charged nothing), says how
many units the price counts, which compute slots and models the run needs, and
keeps what it found in ``facts``. The plan is stored with the job (``jobs.plan``),
shipped to a remote worker in its ``JobSpec``, and handed to ``Tool.run(ctx, plan)``,
so no step probes the same file twice and every machine runs from the same facts.

Example::

    plan = Plan(units=12.5, resources={"cpu": 2}, models=("whisper-base", "silero-vad"),
                work_units=12.5, facts={"probe": {"duration": 12.5, ...}})
    Plan.loads(plan.dumps()).units == 12.5   # a job row and a job spec keep it as JSON
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["Plan"]


class Plan(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What one run of a tool will do, decided at the request.

    - ``units``: what the run will process, in the tool's ``measures`` (seconds, images,
      characters): the hold of a per-unit price. None: the tool measures nothing.
    - ``resources``: the compute slots the run holds (``{"cpu": 2}``), checked and taken by the pool.
    - ``models``: the model ids this run needs (the manifest's), e.g. ``("whisper-base", "silero-vad")``.
    - ``warnings``: known before it runs; ``Tool.execute`` adds them to the result's ``warnings``.
    - ``work_units``: the media units a run reports (``ToolOutput.media_units``), for a queued job's ETA.
    - ``facts``: what the plan found and the run reuses, as JSON (e.g. the probe: ``{"probe": {...}}``).
    """

    units: float | None = None
    resources: dict[str, int] = {}
    models: tuple[str, ...] = ()
    warnings: list[dict[str, Any]] = []  # as a result's warnings (media/decoded.py): {"code", "message", ...}
    work_units: float = 1.0
    facts: dict[str, Any] = {}

    def dumps(self) -> str:
        """The JSON a job row and a job spec keep."""
        return msgspec.json.encode(self).decode()

    @classmethod
    def loads(cls, raw: str | bytes | dict[str, Any] | None) -> Plan | None:
        """A stored plan (JSON text or a decoded dict); None when there is none (a job queued by an older
        version, before plans were stored: the runner plans it again)."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, dict):
            return msgspec.convert(raw, cls)
        return msgspec.json.decode(raw, type=cls)

    def fact(self, name: str, kind: type[Any]) -> Any:
        """A fact as its type, e.g. ``plan.fact("probe", MediaInfo)``; None when the plan has none."""
        value = self.facts.get(name)
        return None if value is None else msgspec.convert(value, kind)
