-- Payments: every money movement a customer starts, its status trail, bound cards (token + last4
-- only), the payment PIN, scheduled transfers, refund requests and the staff audit log. Every table
-- carries the user id it belongs to, the future shard key (DESIGN.md §6).

CREATE TABLE payments (
  payment_id          uuid PRIMARY KEY,
  -- The user who started it; idempotency keys are unique per owner.
  owner_user_id       text NOT NULL,
  idempotency_key     text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  request_digest      text NOT NULL,
  kind                smallint NOT NULL CHECK (kind BETWEEN 1 AND 6),
  -- 1 PENDING, 2 UNDER_REVIEW, 3 SUCCEEDED, 4 FAILED, 5 REFUNDED, 6 REVERSED
  status              smallint NOT NULL CHECK (status BETWEEN 1 AND 6),
  failure_reason      text NOT NULL DEFAULT '',
  payer               jsonb NOT NULL,
  payee               jsonb NOT NULL,
  payer_user_id       text,  -- the user (or merchant) on each side, for listing
  payee_user_id       text,
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  fee_minor           bigint NOT NULL CHECK (fee_minor >= 0),
  refunded_minor      bigint NOT NULL DEFAULT 0,
  currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  note                text NOT NULL DEFAULT '',
  order_ref           text NOT NULL DEFAULT '',
  original_payment_id uuid REFERENCES payments (payment_id),
  payment_code_id     text NOT NULL DEFAULT '',
  risk_decision       text NOT NULL DEFAULT '',
  hold_id             text NOT NULL DEFAULT '',
  ledger_ids          text[] NOT NULL DEFAULT '{}',
  bank_reference      text NOT NULL DEFAULT '',
  bank_state          text NOT NULL DEFAULT '',
  card_token          text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  arrives_by          timestamptz,
  completed_at        timestamptz,
  -- When a worker looks at it again (bank answer due, interrupted attempt); NULL when final.
  next_check_at       timestamptz,
  CONSTRAINT payments_key_once UNIQUE (owner_user_id, idempotency_key),
  CONSTRAINT payments_refund_bounded CHECK (refunded_minor BETWEEN 0 AND amount_minor),
  CONSTRAINT payments_failed_has_reason CHECK (status <> 4 OR failure_reason <> '')
);
-- A fixed-amount merchant payment code is paid at most once.
CREATE UNIQUE INDEX payments_code_once ON payments (payment_code_id)
  WHERE payment_code_id <> '' AND status <> 4;
CREATE INDEX payments_by_payer ON payments (payer_user_id, payment_id DESC);
CREATE INDEX payments_by_payee ON payments (payee_user_id, payment_id DESC);
CREATE INDEX payments_due ON payments (next_check_at) WHERE next_check_at IS NOT NULL;
-- Daily limit usage is summed from here (owner, kind, today).
CREATE INDEX payments_usage ON payments (owner_user_id, kind, created_at);

-- The trail support follows: one row per status a payment entered.
CREATE TABLE payment_status_history (
  payment_id     uuid NOT NULL REFERENCES payments (payment_id),
  seq            bigserial NOT NULL,
  status         smallint NOT NULL CHECK (status BETWEEN 1 AND 6),
  changed_at     timestamptz NOT NULL,
  failure_reason text NOT NULL DEFAULT '',
  note           text NOT NULL DEFAULT '',
  PRIMARY KEY (payment_id, seq)
);

-- Bound bank cards: the connector's token and the last four digits, never the number or CVV.
CREATE TABLE bank_cards (
  card_id      uuid PRIMARY KEY,
  user_id      text NOT NULL,
  token        text NOT NULL,
  brand        smallint NOT NULL,
  last4        text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  holder_name  text NOT NULL,
  expiry_month smallint NOT NULL CHECK (expiry_month BETWEEN 1 AND 12),
  expiry_year  smallint NOT NULL,
  bank_name    text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL,
  removed_at   timestamptz,
  -- Defence in depth: nothing that looks like a card number (12+ digits in a row) in any column.
  CONSTRAINT bank_cards_no_card_number CHECK (
    token !~ '[0-9]{12,}' AND holder_name !~ '[0-9]{12,}' AND bank_name !~ '[0-9]{12,}')
);
CREATE INDEX bank_cards_by_user ON bank_cards (user_id) WHERE removed_at IS NULL;

-- The payment PIN (argon2id), its own attempt counter and a lockout that grows with each lock.
CREATE TABLE payment_pins (
  user_id         text PRIMARY KEY,
  pin_hash        text NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  lock_count      integer NOT NULL DEFAULT 0 CHECK (lock_count >= 0),
  locked_until    timestamptz,
  updated_at      timestamptz NOT NULL
);

CREATE TABLE schedules (
  schedule_id         uuid PRIMARY KEY,
  user_id             text NOT NULL,
  idempotency_key     text NOT NULL,
  payee_by            smallint NOT NULL,
  payee_value         text NOT NULL,
  payee_user_id       text NOT NULL,
  payee_display_name  text NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  currency            text NOT NULL,
  cadence             smallint NOT NULL CHECK (cadence BETWEEN 1 AND 3),
  note                text NOT NULL DEFAULT '',
  starts_at           timestamptz NOT NULL,
  ends_at             timestamptz,
  next_run_at         timestamptz NOT NULL,
  -- 1 ACTIVE, 2 CANCELLED, 3 COMPLETED
  status              smallint NOT NULL,
  failed_run_count    integer NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  last_period_start   timestamptz,
  last_ran_at         timestamptz,
  last_payment_id     text NOT NULL DEFAULT '',
  last_status         smallint NOT NULL DEFAULT 0,
  last_failure_reason text NOT NULL DEFAULT '',
  CONSTRAINT schedules_key_once UNIQUE (user_id, idempotency_key)
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE status = 1;

-- One row per (schedule, period): the primary key is what makes a period run exactly once, however
-- many workers claim at the same time.
CREATE TABLE schedule_runs (
  schedule_id    uuid NOT NULL REFERENCES schedules (schedule_id),
  period_start   timestamptz NOT NULL,
  claimed_at     timestamptz NOT NULL,
  payment_id     text NOT NULL DEFAULT '',
  status         smallint NOT NULL DEFAULT 0,
  failure_reason text NOT NULL DEFAULT '',
  completed_at   timestamptz,
  PRIMARY KEY (schedule_id, period_start)
);

CREATE TABLE refund_requests (
  refund_request_id uuid PRIMARY KEY,
  user_id           text NOT NULL,
  idempotency_key   text NOT NULL,
  payment_id        uuid NOT NULL REFERENCES payments (payment_id),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL,
  reason            text NOT NULL DEFAULT '',
  status            smallint NOT NULL DEFAULT 1,
  refund_payment_id text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL,
  decided_at        timestamptz,
  CONSTRAINT refund_requests_key_once UNIQUE (user_id, idempotency_key)
);

-- Staff refunds and reversals; append-only.
CREATE TABLE payments_audit (
  audit_id      uuid PRIMARY KEY,
  actor_user_id text NOT NULL,
  action        text NOT NULL,
  payment_id    uuid NOT NULL,
  reason        text NOT NULL,
  reference     text NOT NULL DEFAULT '',
  at            timestamptz NOT NULL
);

CREATE FUNCTION payments_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AUDIT_IS_APPEND_ONLY';
END;
$$;
CREATE TRIGGER payments_audit_append_only BEFORE UPDATE OR DELETE ON payments_audit
  FOR EACH ROW EXECUTE FUNCTION payments_audit_is_append_only();
