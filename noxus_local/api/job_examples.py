"""Example job bodies for the published OpenAPI document: real responses of this server, ids shortened.

``JOB_ROW`` is a finished ``qr`` job as ``jobs.view.job_body`` shapes it; the tool
run examples (``RUN_EXAMPLES``, by tool slug) are what ``POST /api/v1/tools/<slug>``
answered. A tool's section of the docs adds its own run example here
(``RUN_EXAMPLES["text-to-speech"] = ...``); ``api.openapi`` publishes each one on
the generic run operation and on the tool's own ``/api/v1/tools/<slug>``.

Example::

    envelope({**JOB_ROW, "tool": "auto-clip", "steps": [step_example(JOB, 1, "probe", t0, t1)]})
"""

from __future__ import annotations

from typing import Any

from noxus_local.api.docs import envelope

JOB = "job_d8f427d5ddacb142f44fba86"


def step_example(job_id: str, n: int, name: str, started: str | None, finished: str | None,
                 weight: int | None = None, status: str = "succeeded", progress: int = 100) -> dict[str, Any]:
    """One step as ``jobs.view.step_view`` shows it."""
    return {"id": f"{job_id}.{n}", "n": n, "name": name, "weight": weight, "status": status,
            "progress": progress, "started_at": started, "finished_at": finished, "error": None}


def sub_jobs_example(job_id: str, names: tuple[str, ...]) -> dict[str, Any]:
    """Finished steps in seed 003's sub-job shape (``jobs.view.sub_jobs``)."""
    return {"total": len(names), "completed": len(names), "failed": 0,
            "details": [{"id": f"{job_id}.{i}", "job_type": n, "status": "succeeded"}
                        for i, n in enumerate(names, start=1)]}


IC_JOB = "job_1f06dd345a4c8b86296883ec"
IC_STEPS = ("open", "decode", "resize", "encode")
PIPE_JOB = "job_5b0e3c2a9d7f4e61a8c2d913"


JOB_ROW: dict[str, Any] = {
    "tool": "qr", "job_id": JOB, "status": "succeeded", "progress": 100,
    "created_at": "2026-05-25T15:04:05.933385Z", "started_at": "2026-05-25T15:04:05.935247Z",
    "finished_at": "2026-05-25T15:04:05.947190Z",
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.998"},
    "steps": [step_example(JOB, 1, "render", "2026-05-25T15:04:05.936012Z", "2026-05-25T15:04:05.944377Z")],
    "jobs": sub_jobs_example(JOB, ("render",)),
    "sub_jobs": sub_jobs_example(JOB, ("render",)),
    "output": {"filename": "qr.png", "mime_type": "image/png", "size_bytes": 478,
               "url": f"/api/v1/files/{JOB}/qr.png?expires=1779721445&sig=c80cbdd856e1fa2a…"},
    "outputs": [{"name": "primary", "filename": "qr.png", "mime_type": "image/png", "size_bytes": 478,
                 "url": f"/api/v1/files/{JOB}/qr.png?expires=1779721445&sig=c80cbdd856e1fa2a…"}],
    "result": {"width": 330, "height": 330, "version": 2, "error_correction": "M", "modules": 25},
}
QR_RUN = envelope({**JOB_ROW, "output": {**JOB_ROW["output"],
                                          "content_base64": "iVBORw0KGgoAAAANSUhEUgAAAUoAAAFKAQMAAABB…"}})
IMAGE_CONVERT_RUN = envelope({
    **JOB_ROW, "tool": "image-convert", "job_id": "job_1f06dd345a4c8b86296883ec",
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.996"},
    "steps": [step_example(IC_JOB, i, n, "2026-05-25T15:04:06.101223Z", "2026-05-25T15:04:06.120470Z")
              for i, n in enumerate(IC_STEPS, start=1)],
    "jobs": sub_jobs_example(IC_JOB, IC_STEPS),
    "sub_jobs": sub_jobs_example(IC_JOB, IC_STEPS),
    "outputs": [{"name": "primary", "filename": "mi-imagen.webp", "mime_type": "image/webp", "size_bytes": 72,
                 "url": f"/api/v1/files/{IC_JOB}/mi-imagen.webp?expires=1779721445&sig=b2ae…"}],
    "output": {"filename": "mi-imagen.webp", "mime_type": "image/webp", "size_bytes": 72,
               "url": "/api/v1/files/job_1f06dd345a4c8b86296883ec/mi-imagen.webp?expires=1779721445&sig=b2ae…",
               "content_base64": "UklGRkAAAABXRUJQVlA4IDQAAADwAQCdASoIAAgA…"},
    "result": {"width": 8, "height": 8, "format": "webp", "frames": 1, "input_format": "png",
               "input_width": 8, "input_height": 8}})
AS_JOB = "job_7c2e9a41d0b35f86e1a4c2d7"
AS_OUT = {"filename": "clip-subtitled.mp4", "mime_type": "video/mp4", "size_bytes": 182344,
          "url": f"/api/v1/files/{AS_JOB}/clip-subtitled.mp4?expires=1779721445&sig=9a1f…"}
AUTO_SUBTITLES_RUN = envelope({
    **JOB_ROW, "tool": "auto-subtitles", "job_id": AS_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.994"},
    "steps": [step_example(AS_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:09.120470Z")
              for i, n in enumerate(("probe", "extract_audio", "transcribe", "segment", "render"), start=1)],
    "jobs": sub_jobs_example(AS_JOB, ("probe", "extract_audio", "transcribe", "segment", "render")),
    "sub_jobs": sub_jobs_example(AS_JOB, ("probe", "extract_audio", "transcribe", "segment", "render")),
    "output": AS_OUT,
    "outputs": [{"name": "video", **AS_OUT},
                *({"name": ext, "filename": f"clip.{ext}", "mime_type": mime, "size_bytes": 120,
                   "url": f"/api/v1/files/{AS_JOB}/clip.{ext}?expires=1779721445&sig=9a1f…"}
                  for ext, mime in (("srt", "application/x-subrip"), ("vtt", "text/vtt"), ("ass", "text/x-ssa"),
                                    ("json", "application/json")))],
    "result": {"transcript": "Hola a todos.", "language": "es", "language_probability": 0.98, "duration": 4.0,
               "style": {"name": "yellow_punch"},
               "segments": [{"id": 0, "start": 0.4, "end": 1.6, "text": "Hola a todos.", "lines": ["Hola a todos."],
                             "words": [{"word": "Hola", "start": 0.4, "end": 0.7, "probability": 0.97}]}]}})

IA_JOB = "job_3a7d1c9e5b2f4a6c8e0d2b4f"
IA_HASH = {"phash": "8f871c43078f8f71", "algorithm": "dct-32x32-8x8", "bits": 64}


def analysis_run(tool: str, result: dict[str, Any]) -> dict[str, Any]:
    """An image-analysis tool's one-shot answer: a JSON report as the primary output."""
    url = f"/api/v1/files/{IA_JOB}/analysis.json?expires=1779721445&sig=4e1b…"
    return envelope({
        **JOB_ROW, "tool": tool, "job_id": IA_JOB,
        "billing": {"currency": "USD", "estimated_usd": "0.001", "charged_usd": "0.001",
                    "balance_after_usd": "9.995", "unit": "image", "estimated_units": 1, "units": 1},
        "steps": [step_example(IA_JOB, 1, "analyze", "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:07.120470Z")],
        "jobs": sub_jobs_example(IA_JOB, ("analyze",)), "sub_jobs": sub_jobs_example(IA_JOB, ("analyze",)),
        "output": {"filename": "analysis.json", "mime_type": "application/json", "size_bytes": 83, "url": url},
        "outputs": [{"name": "analysis", "filename": "analysis.json", "mime_type": "application/json",
                     "size_bytes": 83, "url": url}],
        "result": result})


IMAGE_ANALYZE_RUN = analysis_run("image-analyze", {"analysis": {"hash": IA_HASH}})
IMAGE_ANALYZE_BATCH_RUN = analysis_run("image-analyze-batch", {
    "items": [{"id": "a", "status": "finished", "result": {"hash": IA_HASH}}], "total": 1, "succeeded": 1,
    "failed": 0})

PIPELINE_RUNNING = envelope({
    "tool": "pipeline", "job_id": PIPE_JOB, "status": "running", "progress": 40,
    "created_at": "2026-05-25T15:05:00.101223Z", "started_at": "2026-05-25T15:05:00.104470Z", "finished_at": None,
    "billing": {"currency": "USD", "estimated_usd": "0.001", "charged_usd": "0"},
    "steps": [step_example(PIPE_JOB, 1, "prepare", "2026-05-25T15:05:00.104601Z", "2026-05-25T15:05:00.305112Z", 1),
              step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z", None, 6, "running", 50),
              step_example(PIPE_JOB, 3, "package", None, None, 3, "pending", 0)],
    "jobs": {"total": 3, "completed": 1, "failed": 0, "details": [
        {"id": f"{PIPE_JOB}.1", "job_type": "prepare", "status": "succeeded"},
        {"id": f"{PIPE_JOB}.2", "job_type": "work", "status": "running"},
        {"id": f"{PIPE_JOB}.3", "job_type": "package", "status": "pending"}]},
    "webhooks": []})
PIPELINE_RUNNING["sub_jobs"] = PIPELINE_RUNNING["jobs"]
STEP_RUNNING = envelope({**step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z", None, 6,
                                          "running", 50),
                          "job_id": PIPE_JOB, "job_status": "running", "job_progress": 40, "tool": "pipeline"})
STEP_FAILED = envelope({**step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z",
                                         "2026-05-25T15:05:01.507733Z", 6, "failed", 100),
                         "error": {"code": "internal_error",
                                   "message": "fallo solicitado en el paso work / requested failure in step work"},
                         "job_id": PIPE_JOB, "job_status": "failed", "job_progress": 70, "tool": "pipeline"})


RUN_EXAMPLES: dict[str, Any] = {
    "qr": QR_RUN, "image-convert": IMAGE_CONVERT_RUN, "auto-subtitles": AUTO_SUBTITLES_RUN,
    "image-analyze": IMAGE_ANALYZE_RUN, "image-analyze-batch": IMAGE_ANALYZE_BATCH_RUN}
"""``POST /api/v1/tools/<slug>``'s success example per tool slug (a tool's docs section adds its own)."""
ACCEPTED = envelope({"tool": "qr", "job_id": "job_418fdbb66bf685af7b4b926d", "status": "queued",
                     "location": "/api/v1/jobs/job_418fdbb66bf685af7b4b926d"})
