"""The layering, pinned: the queue, the services bundle and `noxus-local worker` load no Litestar
and nothing from ``noxus_local.api`` (issue 7: the worker must not need the HTTP stack).

Each check runs in a fresh interpreter, so no module another test imported can hide an import.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = "lambda name: name == 'litestar' or name.startswith(('litestar.', 'noxus_local.api'))"


def loaded_after(code: str, tmp_path: Path, timeout: float = 60) -> dict:
    """Run ``code`` in a new interpreter; it leaves ``result`` (a dict) to print as JSON."""
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent(code) + "\nprint('RESULT=' + __import__('json').dumps(result))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
                                                "NOXUS_DATA_DIR": str(tmp_path / "data")})
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT=")]
    assert lines, done.stdout + done.stderr
    return json.loads(lines[-1].removeprefix("RESULT="))


def test_the_queue_and_the_services_bundle_import_no_http_stack(tmp_path):
    result = loaded_after(f"""
        import sys
        import noxus_local.jobs.runner, noxus_local.jobs.dispatch, noxus_local.jobs.pool
        import noxus_local.node.services, noxus_local.inference.cache
        bad = {FORBIDDEN}
        result = {{"bad": sorted(m for m in sys.modules if bad(m)),
                   "queue": "noxus_local.jobs.runner" in sys.modules}}
    """, tmp_path)
    assert result == {"bad": [], "queue": True}


def test_a_running_noxus_local_worker_has_loaded_no_http_stack(tmp_path):
    """The real start path: ``main(["worker"])`` builds the services, starts huey and
    recovery; once its pid file exists the process looks at its own modules and stops."""
    config = tmp_path / "worker.toml"
    config.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n[jobs]\ndiagnostic_tools = true\n')
    result = loaded_after(f"""
        import os, signal, sys, threading, time
        from pathlib import Path
        from noxus_local.cli.main import main

        data, seen = Path({str(tmp_path / "data")!r}), {{}}
        bad = {FORBIDDEN}

        def look_then_stop():
            deadline = time.monotonic() + 30
            while not list(data.glob("noxus-worker-*.pid")) and time.monotonic() < deadline:
                time.sleep(0.05)
            seen["bad"] = sorted(m for m in sys.modules if bad(m))
            seen["started"] = bool(list(data.glob("noxus-worker-*.pid")))
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=look_then_stop, daemon=True).start()
        code = main(["worker", "--config", {str(config)!r}])
        result = {{**seen, "exit": code, "huey": "huey" in sys.modules}}
    """, tmp_path)
    assert result == {"bad": [], "started": True, "exit": 0, "huey": True}


def test_the_http_layer_runs_no_sql_of_its_own():
    """api/ parses, calls the core and shapes the envelope; every query lives in core/ (issue 7 item 9).

    A query in a route would be the one place a later change to a table is missed.
    """
    import re

    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM)\b .*\b(FROM|INTO|SET|WHERE)\b"
                     r"|\.execute\(|db\.(one|all|write)\(")
    offenders = [f"{path.name}:{n}" for path in sorted((REPO / "noxus_local" / "api").glob("*.py"))
                 for n, line in enumerate(path.read_text().splitlines(), start=1) if sql.search(line)]
    assert offenders == []


# The pipeline rooms and what each may import of ours (issue 18 items 1 and 5): data flows one way,
# tools → captions → speech → inference/media → runtime, so a pipeline can never reach jobs, billing or
# HTTP, and a composite tool (or a test) calls them with no server. errors and locale (the one message
# table) sit at the bottom, below every room.
PIPELINE_ROOMS = {
    "runtime": {"errors", "locale", "runtime"},
    "media": {"errors", "locale", "runtime", "media"},
    "speech": {"errors", "locale", "runtime", "media", "inference", "speech"},
    "captions": {"errors", "locale", "runtime", "media", "speech", "captions"},
    "compose": {"errors", "locale", "runtime", "media", "speech", "captions", "compose"},
    # analysis (errors, runtime, media, inference below it): the video-ad shot score uses image-analyze's measures
    "products": {"errors", "locale", "runtime", "media", "inference", "analysis", "compose", "products"},
    "clips": {"errors", "locale", "runtime", "media", "speech", "captions", "analysis", "inference", "compose",
              "generate", "clips"},
}


def imported_rooms(path: Path) -> set[str]:
    """The ``noxus_local`` rooms a module imports, at the top or inside a function; third-party
    HTTP stacks count as the room ``litestar``."""
    import ast

    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                     if node.module == "noxus_local"]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "noxus_local" and len(parts) > 1:
                rooms.add(parts[1])
            elif parts[0] in ("litestar", "starlette", "httpx"):
                rooms.add("litestar")
    return rooms


def test_the_pipeline_rooms_import_only_the_rooms_below_them():
    offenders = {f"{path.relative_to(REPO)}: {sorted(imported_rooms(path) - allowed)}"
                 for room, allowed in PIPELINE_ROOMS.items()
                 for path in sorted((REPO / "noxus_local" / room).glob("*.py"))
                 if imported_rooms(path) - allowed}
    assert offenders == set()


def test_the_locale_table_and_errors_sit_below_every_room():
    """Every layer says its sentences through noxus_local.locale, so it imports nothing of ours; errors only it."""
    assert imported_rooms(REPO / "noxus_local" / "locale" / "__init__.py") == set()
    assert imported_rooms(REPO / "noxus_local" / "errors.py") == {"locale"}


def test_the_pipelines_load_without_the_http_stack_or_the_job_machinery(tmp_path):
    """Importing every pipeline (captions, speech synthesis and recognition, media) in a fresh
    interpreter loads no Litestar, no ``api``, ``tools``, ``jobs``, ``billing``, ``accounts`` or ``assets``:
    no jobs behind them."""
    result = loaded_after("""
        import sys
        import noxus_local.captions, noxus_local.speech.tts, noxus_local.speech.asr, noxus_local.media.audio
        import noxus_local.compose
        import noxus_local.products.cutout, noxus_local.products.end_cards
        bad = lambda name: name == "litestar" or name.startswith(
            ("litestar.", "noxus_local.api", "noxus_local.tools", "noxus_local.jobs", "noxus_local.billing",
             "noxus_local.accounts", "noxus_local.assets"))
        result = {"bad": sorted(m for m in sys.modules if bad(m)), "captions": "noxus_local.captions" in sys.modules}
    """, tmp_path)
    assert result == {"bad": [], "captions": True}


def import_graph() -> dict[str, set[str]]:
    """Module → the ``noxus_local`` modules it imports, at the top or inside a function."""
    import ast

    modules = {}
    for path in (REPO / "noxus_local").rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan): each is an import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_module_imports_itself_through_others():
    """No import circle anywhere in the package, counting imports inside functions (issue 18 item 5):
    a circle is two rooms that each need the other, so neither can be understood or tested alone."""
    assert import_circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_route_that_runs_work_submits_through_one_function():
    """Auth → scope → tool allowed → read → validate → plan → price → hold → job row is written once,
    in api/submit.py (issue 18 item 3); a route that copied the sequence could drift from it."""
    import re

    sequence = re.compile(r"\bjobs\.submit\b|\bprepare_job\(|\brequire_tool_allowed\(")
    copies = [f"{path.name}:{n}" for path in sorted((REPO / "noxus_local" / "api").glob("*.py"))
              if path.name not in ("submit.py", "auth.py")
              for n, line in enumerate(path.read_text().splitlines(), start=1) if sequence.search(line)]
    assert copies == []
    pseudo = [path.name for path in (REPO / "noxus_local" / "api").glob("*.py")
              if re.search(r"^class \w+\(Tool\):", path.read_text(), re.M)]
    assert pseudo == []  # no pseudo-tool stands in for a body shape (api/input_refs.FormShape does)
