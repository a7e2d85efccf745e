"""What a run of policy tests found: one result per case, counts and rule coverage."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field, computed_field

from kdv_policy.files import display_path
from kdv_policy.policy.api import Policy
from kdv_policy.policy.wording import say


class CaseResult(BaseModel):
    """The outcome of one test case."""

    file: str = Field(description="the test file, as diagnostics show paths")
    line: int = Field(description="the line of the case in the file")
    name: str = Field(description="the case's `name`, or its question when it has none")
    question: str = Field(description="the question as resolved, in rule-language syntax")
    at: datetime.date | None = Field(default=None, description="the as-of date of the question, if any")
    passed: bool
    expected: str = Field(description="what the case expects, as text")
    actual: str = Field(description="what the policy answered, as text")
    explanation: str = Field(default="", description="the summary of the policy's explanation")
    details: str | None = Field(
        default=None, description="for a failure: the full explanation (proof or why-not)")
    source: str | None = Field(default=None, description="the sentence of the governance text the case cites")
    rule_ids: tuple[str, ...] = Field(default=(), description="the fact and rule ids of the answer's proofs")
    lang: str = Field(default="en", description="the language of the human text: `de` or `en`")

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def headline(self) -> str:
        if self.passed:
            return say(self.lang, "{location}: {name}: ok", location=self.location, name=self.name)
        return say(self.lang, "{location}: {name}: expected {expected}, got {actual}", location=self.location,
                   name=self.name, expected=self.expected, actual=self.actual)

    def render(self, verbose: bool = False) -> str:
        """The headline, then the explanation, indented: its summary for a failure (the whole
        proof or why-not when ``verbose``), nothing for a pass (its summary when ``verbose``)."""
        lines = [self.headline()]
        if self.passed and not verbose:
            return lines[0]
        if self.source:
            lines.append("    " + say(self.lang, "cites « {source} »", source=self.source))
        text = self.details if (verbose and self.details) else self.explanation
        lines += ["    " + line for line in text.splitlines() if line.strip()]
        return "\n".join(lines)


class TestReport(BaseModel):
    """What :func:`run_tests` found: one :class:`CaseResult` per case, counts and rule coverage."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    directory: str = Field(description="the policy directory")
    lang: str = Field(default="en", description="the language of the human text: `de` or `en`")
    version: str = Field(default="", description="the version of the policy tested")
    files: tuple[str, ...] = Field(default=(), description="the test files run, in order")
    results: tuple[CaseResult, ...] = ()
    rules_total: int = Field(default=0, description="the number of facts and rules of the policy with an @id")
    covered_rules: tuple[str, ...] = Field(
        default=(), description="ids of the facts and rules that appear in the proof of a tested answer")
    uncovered_rules: tuple[str, ...] = Field(
        default=(), description="ids of the facts and rules no test exercised, in program order")
    locations: dict[str, str] = Field(
        default_factory=dict, description="file:line of each uncovered fact or rule")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        """True when no case failed."""
        return self.failed == 0

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def render(self, verbose: bool = False) -> str:
        """A line per failure (``file:line: name: expected X, got Y``) with its explanation,
        then ``N passed, M failed`` and the coverage; ``verbose`` lists passed cases too and
        gives failures their full proof or why-not."""
        parts = [r.render(verbose) for r in self.results if verbose or not r.passed]
        if parts:
            parts.append("")
        cases, files, lang = len(self.results), len(self.files), self.lang
        counted = say(lang, "1 case") if cases == 1 else say(lang, "{n} cases", n=str(cases))
        in_files = say(lang, "in 1 file") if files == 1 else say(lang, "in {n} files", n=str(files))
        parts.append(say(lang, "{passed} passed, {failed} failed ({cases} {files})", passed=str(self.passed),
                         failed=str(self.failed), cases=counted, files=in_files))
        parts.append(say(lang, "rules exercised: {covered}/{total}", covered=str(len(self.covered_rules)),
                         total=str(self.rules_total)))
        if self.uncovered_rules:
            parts.append(say(lang, "not exercised by any test:"))
            width = max(len(i) for i in self.uncovered_rules)
            for rule_id in self.uncovered_rules:
                where = self.locations.get(rule_id)
                parts.append(f"  {rule_id:<{width}}  {where}" if where else f"  {rule_id}")
        return "\n".join(parts)



def build_report(root: Path, policy: Policy, files: list[str], results: list[CaseResult]) -> TestReport:
    clauses = [c for c in policy.program.clauses if c.id]
    ids = list(dict.fromkeys(c.id for c in clauses if c.id))
    used = {i for r in results for i in r.rule_ids}
    covered = tuple(i for i in ids if i in used)
    uncovered = tuple(i for i in ids if i not in used)
    where: dict[str, str] = {}
    for clause in clauses:
        if clause.id and clause.id in uncovered and clause.span is not None and clause.id not in where:
            where[clause.id] = f"{clause.span.path}:{clause.span.line}"
    return TestReport(directory=display_path(root), lang=policy.language, version=policy.version,
                      files=tuple(files),
                      results=tuple(results), rules_total=len(ids), covered_rules=covered,
                      uncovered_rules=uncovered, locations=where)
