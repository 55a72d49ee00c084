-- Runs claimed but not paid (their worker stopped, or a transient error left them PENDING):
-- the worker looks for ones past the lease on every tick, so they are found by index, not by a
-- scan of every run ever made.
CREATE INDEX schedule_runs_unpaid ON schedule_runs (claimed_at) WHERE payment_id = '';
