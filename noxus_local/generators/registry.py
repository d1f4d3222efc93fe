"""The generator kinds, one explicit mapping, and the generator a config names.

Example::

    gen = for_config(cfg)                      # None when no [generators.<name>] is declared
    if gen is not None:
        path = gen("un faro al atardecer", 720, 1280, 7, workdir, cancel)    # GeneratorError on failure
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from noxus_local.config import Config
from noxus_local.generators.base import GeneratorSpec
from noxus_local.generators.comfyui import generate as comfyui_generate
from noxus_local.generators.openai_images import generate as openai_images_generate
from noxus_local.runtime.cancel import CancelToken


class KindGenerate(Protocol):
    def __call__(self, spec: GeneratorSpec, prompt: str, negative_prompt: str, width: int, height: int,
                 seed: int, out_dir: Path, cancel: CancelToken | None) -> Path: ...


KINDS: dict[str, KindGenerate] = {"comfyui": comfyui_generate, "openai_images": openai_images_generate}


def generate(spec: GeneratorSpec, prompt: str, negative_prompt: str, width: int, height: int, seed: int,
             out_dir: Path, cancel: CancelToken | None) -> Path:
    """One checked PNG or JPEG in ``out_dir`` from the generator ``spec`` of either kind."""
    return KINDS[spec.settings.kind](spec, prompt, negative_prompt, width, height, seed, out_dir, cancel)


class ImageGenerator:
    """A configured generator bound to its spec: call it with the scene's prompt.

    ``gen(prompt, width, height, seed, out_dir, cancel, negative_prompt="") -> Path``
    """

    def __init__(self, spec: GeneratorSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    def __call__(self, prompt: str, width: int, height: int, seed: int, out_dir: Path,
                 cancel: CancelToken | None = None, negative_prompt: str = "") -> Path:
        return generate(self.spec, prompt, negative_prompt, width, height, seed, out_dir, cancel)


def for_config(cfg: Config, name: str | None = None, environ: Mapping[str, str] | None = None) -> ImageGenerator | None:
    """The generator ``name`` (default: ``[generators] default``, or the only one); None when none is declared."""
    chosen = name or cfg.generators.chosen()
    if chosen is None:
        return None
    if chosen not in cfg.generators.entries:
        raise KeyError(f"no [generators.{chosen}] in the config")
    return ImageGenerator(GeneratorSpec.from_config(cfg, chosen, environ))
