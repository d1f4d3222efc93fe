"""Which models exist and where they come from: the manifest, fetching and verifying, user-added models,
and the converters a fetch runs (GGUF → CTranslate2)."""
