"""Where a record's time goes (consumer/pipeline/trace.py): stages from fixed instants, and the
calls of the record's thread counted on its ticket."""

from __future__ import annotations

from prometheus_client import REGISTRY

from consumer.netsuite.governor import Governor
from consumer.pipeline.trace import RecordTrace, current, running


def test_stages_split_the_records_time_without_overlap() -> None:
    trace = RecordTrace(produced_ms=1_000)
    trace.dispatched, trace.dispatched_wall_ms, trace.started = 10.0, 1_250, 10.5
    trace.ticket.waited_s, trace.ticket.held_s, trace.ticket.calls = 0.75, 0.3, 2
    stages = trace.stages(now=11.6)
    expected = {"delivery": 0.25, "queue": 0.5, "slot": 0.75, "call": 0.3, "work": 0.05}
    assert stages.keys() == expected.keys()
    assert all(abs(stages[k] - v) < 1e-9 for k, v in expected.items()), stages
    assert abs(sum(stages.values()) - (0.25 + 11.6 - 10.0)) < 1e-9  # delivery + dispatch → now


def test_a_retry_record_has_no_delivery_stage() -> None:
    trace = RecordTrace(produced_ms=None)
    trace.started = trace.dispatched
    assert "delivery" not in trace.stages(now=trace.dispatched + 1)


def test_calls_made_while_running_land_on_the_records_ticket_and_in_the_histograms() -> None:
    gov = Governor(2)
    trace = RecordTrace(produced_ms=None)
    before = REGISTRY.get_sample_value("woo_consumer_stage_seconds_count", {"stage": "call"}) or 0
    assert current() is None
    with running(trace):
        assert current() is trace
        with gov.slot(), gov.slot():
            pass
    assert current() is None
    with gov.slot():  # outside the record: not its call
        pass
    assert trace.ticket.calls == 2
    fields = trace.log_fields()
    assert fields["calls"] == 2
    assert set(fields) >= {"queue_ms", "slot_ms", "call_ms", "work_ms"}
    trace.observe()
    assert REGISTRY.get_sample_value("woo_consumer_stage_seconds_count", {"stage": "call"}) == before + 1
