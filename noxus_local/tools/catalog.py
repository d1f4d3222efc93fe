"""The tool catalog: one explicit mapping from slug to tool, plus aliases.

Example::

    catalog = Catalog.default()
    catalog.resolve("crear-qr").slug       # "qr"
"""

from __future__ import annotations

from collections.abc import Iterable

from noxus_local.errors import ToolNotFound
from noxus_local.tools.base import Tool
from noxus_local.tools.image_convert import ImageConvertTool
from noxus_local.tools.pipeline import PipelineTool
from noxus_local.tools.qr import QrTool
from noxus_local.tools.wait import WaitTool


class Catalog:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self.tools: dict[str, Tool] = {}
        self._names: dict[str, Tool] = {}
        for tool in tools:
            self.tools[tool.slug] = tool
            for name in (tool.slug, *tool.aliases):
                self._names[name] = tool

    @classmethod
    def default(cls, diagnostics: bool = False) -> Catalog:
        tools: list[Tool] = [QrTool(), ImageConvertTool()]
        if diagnostics:
            tools += [WaitTool(), PipelineTool()]
        return cls(tools)

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
