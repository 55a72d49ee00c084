-- SLA breach sweeper: which due time of each target was already announced (QUEUE_EVENT_KIND_SLA_BREACHED
-- + outbox event), so that every replica's sweeper announces each ticket and target exactly once.
-- The due time (not a flag) is kept because reopening sets a fresh resolution target, which gets
-- its own announcement when it passes too.
ALTER TABLE tickets
  ADD COLUMN first_response_breach_notified_due_at timestamptz,
  ADD COLUMN resolution_breach_notified_due_at timestamptz;

-- The sweeper scans only tickets whose clock can still run out.
CREATE INDEX tickets_sla_first_response ON tickets (first_response_due_at)
  WHERE status IN (1, 2, 3) AND first_responded_at IS NULL;
CREATE INDEX tickets_sla_resolution ON tickets (resolution_due_at)
  WHERE status IN (1, 2, 3) AND resolved_at IS NULL;
