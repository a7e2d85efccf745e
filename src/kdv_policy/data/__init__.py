"""The organisation directory and the people file: TOML validated by pydantic, turned into facts."""
