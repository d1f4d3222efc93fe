"""Generated content: the text model (``llm/``), structured asks (``structured.py``) and scripts (``script.py``)."""
