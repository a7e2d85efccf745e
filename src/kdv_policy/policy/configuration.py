"""A policy directory's configuration: ``policy.toml`` (optional).

It says the language the policy answers in by default and which interpretations it adopts::

    [policy]
    language = "de"

    [interpretations]
    adopt = ["vorsitz_handelt_allein"]

It is read like the data files (:mod:`kdv_policy.data.read`): a regular file of at most
``Limits.max_data_file_bytes``, UTF-8, TOML nested at most ``Limits.max_nesting`` deep, every
problem a :class:`~kdv_policy.errors.PolicyLoadError` naming the file. An unknown table or key
is an error with the closest known one; an adopted id that no rule file declares is an error
too (:func:`unknown_adopted`), with the closest declared id.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import check_inside, display_path, file_error
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.suggest import did_you_mean

CONFIG_FILE = "policy.toml"
"""The configuration file of a policy directory."""

KEYS: dict[str, tuple[str, ...]] = {"policy": ("language",), "interpretations": ("adopt",),
                                    "people": ("url", "url_env")}
"""The tables of ``policy.toml`` and the keys of each."""


@dataclass(frozen=True)
class Configuration:
    """What ``policy.toml`` says; ``path`` is None when the policy has none."""

    path: Path | None = None
    adopt: tuple[str, ...] = ()
    language: str | None = None
    people: str | None = None
    """Where the people come from (``[people]``): a database URL without credentials, or
    ``env:NAME`` for ``url_env = "NAME"`` (the URL, credentials and all, in the environment)."""

    @property
    def shown(self) -> str:
        return display_path(self.path) if self.path is not None else CONFIG_FILE


def read_configuration(root: Path, limits: Limits = DEFAULT_LIMITS) -> Configuration:
    """The configuration of the policy directory ``root`` (none for a one-file policy)."""
    path = root / CONFIG_FILE
    if not root.is_dir() or not os.path.lexists(path):
        return Configuration()
    shown = display_path(path)
    check_inside(path, root, shown, "configuration file")
    from kdv_policy.data.read import read_toml  # TOML and pydantic: only when a policy has the file

    raw = read_toml(path, shown, "configuration file", limits)
    return Configuration(path, _adopted(raw, shown), _language(raw, shown), _people(raw, shown))


def _language(raw: Mapping, shown: str) -> str | None:
    from kdv_policy.policy.wording import LANGUAGES

    language = raw.get("policy", {}).get("language")
    if language is None or language in LANGUAGES:
        return language
    known = ", ".join(f"`{x}`" for x in LANGUAGES)
    given = f"`{_cut(language)}`" if isinstance(language, str) else "that value"
    raise file_error("config-invalid", f"`{shown}`: `[policy] language` must be one of {known}, not {given}",
                     'e.g. `language = "de"`')


def _people(raw: Mapping, shown: str) -> str | None:
    """``[people] url`` (no password: credentials never stand in a policy file) or ``url_env``."""
    from kdv_policy.data.sql import URL_PATTERN, has_password

    table = raw.get("people", {})
    url, env = table.get("url"), table.get("url_env")
    if url is not None and env is not None:
        raise file_error("config-invalid", f"`{shown}`: `[people]` gives both `url` and `url_env`",
                         "give one: `url` for a database without credentials, `url_env` for the rest")
    if env is not None:
        if not isinstance(env, str) or not env.isidentifier():
            raise file_error("config-invalid", f"`{shown}`: `[people] url_env` must name an environment "
                             "variable", 'e.g. `url_env = "KDV_PEOPLE_URL"`')
        return f"env:{env}"
    if url is None:
        return None
    if not isinstance(url, str) or not URL_PATTERN.match(url):
        raise file_error("config-invalid", f"`{shown}`: `[people] url` must be a database URL",
                         'e.g. `url = "sqlite:///people.db"` or `url_env = "KDV_PEOPLE_URL"`')
    if has_password(url):
        raise file_error("config-invalid", f"`{shown}`: `[people] url` holds a password; credentials "
                         "never stand in a policy file", 'put the URL in an environment variable and '
                         'name it: `url_env = "KDV_PEOPLE_URL"`')
    return url


def _adopted(raw: Mapping, shown: str) -> tuple[str, ...]:
    for table, value in raw.items():
        if table not in KEYS:
            raise _unknown(shown, f"table `[{_cut(table)}]`", table, KEYS, "[{}]")
        if not isinstance(value, dict):
            raise file_error("config-invalid", f"`{shown}`: `{table}` must be a table `[{table}]`",
                             f"write `[{table}]` and below it its keys: "
                             + ", ".join(f"`{k} = ...`" for k in KEYS.get(table, ())))
        for key in value:
            if key not in KEYS[table]:
                raise _unknown(shown, f"key `{_cut(key)}` in `[{table}]`", key, KEYS[table], "{}")
    adopt = raw.get("interpretations", {}).get("adopt", [])
    if not isinstance(adopt, list) or not all(isinstance(a, str) for a in adopt):
        raise file_error("config-invalid", f"`{shown}`: `[interpretations] adopt` must be a list of "
                         "interpretation ids", 'e.g. `adopt = ["vorsitz_handelt_allein"]`')
    return tuple(dict.fromkeys(adopt))


def _unknown(shown: str, what: str, name: str, known: Iterable[str], form: str) -> PolicyLoadError:
    hint = did_you_mean(name, list(known), lambda c: f"`{form.format(c)}`") if len(name) <= 100 else None
    listed = ", ".join(f"`{form.format(k)}`" for k in known)
    return file_error("config-invalid", f"`{shown}` has an unknown {what}", hint or f"it knows {listed}")


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_adopted(config: Configuration, declared: Iterable[str]) -> list[Diagnostic]:
    """An error for each id ``policy.toml`` adopts that no rule file declares."""
    declared = list(declared)
    problems = []
    for name in config.adopt:
        if name in declared:
            continue
        hint = did_you_mean(name, declared, lambda c: f"`{c}`") if len(name) <= 100 else None
        known = ", ".join(f"`{d}`" for d in declared) or "none"
        problems.append(Diagnostic(
            "unknown-interpretation", Severity.ERROR,
            f"{config.shown} adopts the interpretation `{_cut(name)}`, which no rule file declares", None,
            hint or f"the declared interpretations are: {known}"))
    return problems


__all__ = ["CONFIG_FILE", "Configuration", "read_configuration", "unknown_adopted"]
