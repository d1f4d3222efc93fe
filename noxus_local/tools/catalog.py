"""The tool catalog: one explicit mapping from slug to tool, plus aliases.

Example::

    catalog = Catalog.default()
    catalog.resolve("crear-qr").slug       # "qr"
    cfg.prices = catalog.priced(cfg.prices)  # at start: the tools' default prices under config's, checked

Adding a tool is its own module (tools/<name>.py: a ``Tool`` subclass with its params Struct,
default price, examples and models) plus one line in ``TOOLS`` (or ``DIAGNOSTIC_TOOLS``) below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from noxus_local.config import Config, parse_price
from noxus_local.errors import ConfigError, ToolNotFound
from noxus_local.generators import for_config
from noxus_local.money import Price
from noxus_local.tools.ai_video_generate import AiVideoGenerateTool
from noxus_local.tools.auto_clip import AutoClipTool
from noxus_local.tools.auto_subtitles import AutoSubtitlesTool
from noxus_local.tools.base import Tool
from noxus_local.tools.chat import ChatTool
from noxus_local.tools.dub_video import DubVideoTool
from noxus_local.tools.image_analyze import ImageAnalyzeBatchTool, ImageAnalyzeTool
from noxus_local.tools.image_convert import ImageConvertTool
from noxus_local.tools.image_generate import ImageGenerateTool
from noxus_local.tools.instant_ad import InstantAdTool
from noxus_local.tools.pipeline import PipelineTool
from noxus_local.tools.product_photoshoot import ProductPhotoshootTool
from noxus_local.tools.qr import QrTool
from noxus_local.tools.script_to_video import ScriptToVideoTool
from noxus_local.tools.text_to_speech import TextToSpeechTool
from noxus_local.tools.video_ad import VideoAdTool
from noxus_local.tools.video_analyze import VideoAnalyzeTool
from noxus_local.tools.wait import WaitTool

# the registration lines: one per tool, in the catalog's order
TOOLS: tuple[type[Tool], ...] = (QrTool, ImageConvertTool, AutoSubtitlesTool, ImageAnalyzeTool,
                                 ImageAnalyzeBatchTool, TextToSpeechTool, VideoAnalyzeTool, ChatTool,
                                 ScriptToVideoTool, AutoClipTool, VideoAdTool, ImageGenerateTool,
                                 ProductPhotoshootTool, DubVideoTool, InstantAdTool, AiVideoGenerateTool)
DIAGNOSTIC_TOOLS: tuple[type[Tool], ...] = (WaitTool, PipelineTool)  # [jobs] diagnostic_tools = true


class Catalog:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self.tools: dict[str, Tool] = {}
        self._names: dict[str, Tool] = {}
        for tool in tools:
            self.tools[tool.slug] = tool
            for name in (tool.slug, *tool.aliases):
                self._names[name] = tool

    @classmethod
    def default(cls, diagnostics: bool = False, cfg: Config | None = None) -> Catalog:
        """Every tool; with ``cfg``, each is bound to it (``Tool.bind``: what its plan reads, e.g.
        script-to-video's fps and chat's rates) and script-to-video gets its ``[generators]`` image generator
        (``Catalog.default(cfg=cfg).resolve("script-to-video").generate``: None when none is declared)."""
        generate = None if cfg is None else for_config(cfg)
        tools = [ScriptToVideoTool(generate=generate) if tool is ScriptToVideoTool else tool()
                 for tool in (*TOOLS, *(DIAGNOSTIC_TOOLS if diagnostics else ()))]
        return cls(tools if cfg is None else [t.bind(cfg) for t in tools])

    def resolve(self, name: str) -> Tool:
        tool = self._names.get(name)
        if tool is None:
            raise ToolNotFound(details={"tool": name[:100]})
        return tool

    def allowed(self, tool: Tool, allow_list: frozenset[str] | None) -> bool:
        """A key's list may name a tool by slug or by any alias."""
        if allow_list is None:
            return True
        return bool(allow_list & {tool.slug, *tool.aliases})

    def default_prices(self) -> dict[str, Price]:
        """Each tool's own ``default_price``, in catalog order.

        Example: ``Catalog.default().default_prices()["qr"]`` → ``Price(None, 2000)``.
        """
        return {t.slug: parse_price(t.default_price, f"{type(t).__name__}.default_price")
                for t in self.tools.values() if t.default_price is not None}

    def priced(self, configured: Mapping[str, Price]) -> dict[str, Price]:
        """Config's ``[prices]`` over the tools' defaults, checked (``check_prices``): what ``cfg.prices``
        holds once the server, a worker or ``config check`` has its catalog."""
        prices = {**self.default_prices(), **configured}
        self.check_prices(prices)
        return prices

    def check_prices(self, prices: Mapping[str, Price]) -> None:
        """Every tool has a price it can measure; raises ConfigError naming ``prices.<slug>``.

        Run at start and by ``config check``: a tool without a price would be
        free by accident, and a per-minute price on a tool that measures no
        seconds could never be computed.
        """
        for name in prices:
            tool = self._names.get(name)
            if tool is not None and name != tool.slug:
                raise ConfigError(f"prices.{name}: an alias of {tool.slug}; price the tool by its slug")
        for tool in self.tools.values():
            price = prices.get(tool.slug)
            if price is None:
                raise ConfigError(f"prices.{tool.slug}: required (every tool in the catalog needs a price)")
            if price.measures is not None and price.measures != tool.measures:
                can = f"it measures {tool.measures}" if tool.measures else "give it a fixed price"
                raise ConfigError(f"prices.{tool.slug}.unit: {tool.slug} cannot be priced per {price.unit} ({can})")
