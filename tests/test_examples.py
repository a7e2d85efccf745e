"""The worked examples run: the approval workflow (the auditor's report: tests/test_report*.py)."""

import datetime
import importlib.util
import io
import json
import logging
import sys
from pathlib import Path

from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(path: Path):
    name = f"example_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_workflow_routes_a_request_and_audits_every_decision():
    workflow = load(EXAMPLES / "workflow" / "workflow.py")
    stream = io.StringIO()
    handler = JsonLinesHandler(stream)
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    out = io.StringIO()
    try:
        request = workflow.demo(out, today=datetime.date(2025, 3, 1))
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(logging.NOTSET)
    assert request.approved
    steps = [(step, person, d.allowed) for step, person, d in request.done]
    assert steps == [("request", "Max Beispiel", False), ("request", "Erika Muster", True),
                     ("approve", "Regierungsrat", True)]
    text = out.getvalue()
    assert "zuständig: Steuerungsausschuss" in text and "zuständig: Regierungsrat" in text
    # the refused user sees why, in the policy's language
    assert "Max Beispiel darf das Budget des Impulsprogramms nicht beantragen" in text
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    decisions = [r for r in records if r["question"] == "may"]
    assert [(r["asked"][0], r["allowed"]) for r in decisions] == [
        ("Max Beispiel", False), ("Erika Muster", True), ("Regierungsrat", True)]
