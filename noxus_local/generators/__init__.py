"""Image generators the admin runs (ComfyUI, OpenAI-compatible image servers), as plain typed functions.

No HTTP server or job knowledge here: a tool (script-to-video's visuals step)
asks for one image and gets a checked PNG or JPEG path, or a
``GeneratorError`` to turn into a designed scene and a warning. One module
per kind (``comfyui``, ``openai_images``), the mapping in ``registry``;
``http`` holds the SSRF-guarded, deadline-bounded, cancel-aware requests
and ``image`` the Pillow check. Config: ``[generators]`` ``default`` and
``allow_hosts``, one ``[generators.<name>]`` table per engine.

Example::

    from noxus_local.generators import GeneratorError, for_config

    gen = for_config(cfg)                          # None: no generator configured
    try:
        path = gen("a lighthouse at dusk", 720, 1280, 7, workdir, cancel)
    except GeneratorError as exc:                  # exc.reason: engine_timeout, engine_garbage, ...
        warnings.append(exc.message)
"""

from noxus_local.generators.base import REASONS, GeneratorError, GeneratorSpec
from noxus_local.generators.registry import KINDS, ImageGenerator, for_config, generate

__all__ = ["KINDS", "REASONS", "GeneratorError", "GeneratorSpec", "ImageGenerator", "for_config", "generate"]
