"""Five LangGraph agents on llm-gateway; run each with python -m examples.NAME."""
