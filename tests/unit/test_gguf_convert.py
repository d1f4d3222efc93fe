"""The GGUF → CTranslate2 conversion without PyTorch (issue 19): converting the cached 0.5B source again
gives every file the manifest's sha256 (deterministic), and the rebuilt tokenizer gives Qwen's ids."""

import pytest
import tokenizers

from noxus_local.config import load_config
from noxus_local.inference.registry.gguf_ct2 import OUTPUT_FILES, GgufError, convert_gguf
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.runtime.digest import sha256_of

MODEL = "qwen2.5-coder-0.5b-instruct"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("gguf") / "data")})
    registry = ModelRegistry.from_config(cfg)
    registry.fetch([MODEL])  # leaves the joined GGUF in the download cache under its sha256
    return registry


def test_converting_again_gives_the_manifests_bytes(registry, tmp_path):
    spec = registry.specs[MODEL]
    source = registry.cache_dir / spec.files[0].source_sha256 / "qwen2-gguf-ct2.source"
    convert_gguf(source, tmp_path / "out" / "model.bin")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)
    assert {f.name: sha256_of(tmp_path / "out" / f.name) for f in spec.files} == \
        {f.name: f.sha256 for f in spec.files}


def test_the_rebuilt_tokenizer_gives_qwens_ids(registry):
    tokenizer = tokenizers.Tokenizer.from_file(str(registry.path(MODEL) / "tokenizer.json"))
    encoded = tokenizer.encode("<|im_start|>user\nHola, ¿qué tal? 123<|im_end|>")
    assert encoded.ids == [151644, 872, 198, 68012, 11, 28286, 63491, 8210, 30, 220, 16, 17, 18, 151645]
    assert tokenizer.decode(encoded.ids, skip_special_tokens=False) == "<|im_start|>user\nHola, ¿qué tal? 123<|im_end|>"


def test_a_file_that_is_not_a_qwen2_gguf_is_refused(tmp_path):
    import gguf

    writer = gguf.GGUFWriter(tmp_path / "llama.gguf", "llama")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(GgufError, match="llama"):
        convert_gguf(tmp_path / "llama.gguf", tmp_path / "out" / "model.bin")


def test_one_conversion_run_installs_every_file_of_the_model_it_wrote(tmp_path, monkeypatch):
    """A CTranslate2 model is a folder: the registry converts once and caches the siblings it finds."""
    import hashlib
    import sys
    import types

    from noxus_local.inference.registry import installed as registry_module
    from noxus_local.inference.registry.installed import ModelRegistry
    from noxus_local.inference.registry.manifest import ModelFile, ModelSpec

    def sha(data):
        return hashlib.sha256(data).hexdigest()

    source = tmp_path / "source.gguf"
    source.write_bytes(b"weights")
    runs = []

    def convert(src, dest):
        runs.append(dest.name)
        (dest.parent / "model.bin").write_bytes(b"M")
        (dest.parent / "config.json").write_bytes(b"{}")

    monkeypatch.setitem(sys.modules, "tiny_converter", types.SimpleNamespace(convert=convert))
    monkeypatch.setitem(registry_module.CONVERTERS, "tiny", "tiny_converter:convert")
    files = tuple(ModelFile(name, sha(data), len(data), (f"file:{source}",), "tiny", sha(b"weights"))
                  for name, data in (("model.bin", b"M"), ("config.json", b"{}")))
    models = ModelRegistry(tmp_path / "models", [ModelSpec("m", "text-generation", "MIT", False, files)],
                           tmp_path / "cache")
    models.fetch(["m"])
    assert runs == ["model.bin"]
    assert [s.state for s in models.verify()] == ["installed"]
