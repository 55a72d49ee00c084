-- The ledger: accounts, immutable double-entry transfers, balances, two-phase holds and the
-- idempotency records of every posting, all in one schema so that money and keys commit together.
--
-- Citus from the start (DESIGN.md §6, README "Citus"): every table that grows with traffic has the
-- account id (or, for the directory, the owner id; for idempotency records, the key) in its
-- primary key, so each can become a distributed table without changing a unique constraint.
-- Foreign keys from the hot tables (transfers, entries, holds) to accounts are deliberately absent:
-- accounts are never deleted (a trigger refuses it) and the writer has already locked the balance
-- row of every account it touches, so an FK check (which takes a KEY SHARE lock on the accounts
-- row per inserted row) would only cost throughput.

-- Kinds are small integers with the values of the proto enums (uwallet.ledger.v1).
--   account kind: 1 user wallet, 2 merchant, 3 bank settlement, 4 fee revenue, 5 suspense
--   owner kind:   1 user, 2 merchant, 3 system
--   transfer kind: 1 top-up .. 10 adjustment
--   hold state:   1 pending, 2 posted, 3 voided, 4 expired

-- Immutable facts about an account. The mutable part (balances, frozen) is in `balances`.
CREATE TABLE accounts (
  account_id     uuid PRIMARY KEY,
  owner_id       text NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 128),
  owner_kind     smallint NOT NULL CHECK (owner_kind BETWEEN 1 AND 3),
  kind           smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
  currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Flag "may go negative": only system settlement accounts. Wallets and merchants never.
  allow_negative boolean NOT NULL,
  created_at     timestamptz NOT NULL,
  CONSTRAINT accounts_customer_never_negative CHECK (NOT (kind IN (1, 2) AND allow_negative))
);

-- The natural key (owner, kind, currency) → account id: one wallet per user per currency. A
-- separate table so that the uniqueness lives where its shard key is (owner_id), while accounts
-- are sharded by account_id.
CREATE TABLE account_directory (
  owner_id   text NOT NULL,
  kind       smallint NOT NULL,
  currency   char(3) NOT NULL,
  account_id uuid NOT NULL,
  PRIMARY KEY (owner_id, kind, currency)
);

-- The mutable state of an account: posted and pending sums, and the frozen flag. One narrow row
-- that every debit locks (FOR UPDATE), so freezing and debiting serialise on the same row lock.
CREATE TABLE balances (
  account_id      uuid PRIMARY KEY REFERENCES accounts (account_id),
  currency        char(3) NOT NULL,
  -- Copied from accounts at creation (never changes; the trigger below refuses it) so that the
  -- CHECK constraint can see it.
  allow_negative  boolean NOT NULL,
  frozen          boolean NOT NULL DEFAULT false,
  frozen_reason   text,
  frozen_reference text,
  posted_debits   bigint NOT NULL DEFAULT 0 CHECK (posted_debits >= 0),
  posted_credits  bigint NOT NULL DEFAULT 0 CHECK (posted_credits >= 0),
  pending_debits  bigint NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits bigint NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  updated_at      timestamptz NOT NULL,
  -- User wallets (and merchants) never go below zero, counting money reserved by pending holds.
  -- numeric arithmetic so that the check itself can never overflow.
  CONSTRAINT balances_never_negative CHECK (
    allow_negative
    OR posted_credits::numeric - posted_debits::numeric - pending_debits::numeric >= 0)
);

-- Transfers: immutable. Corrections are reversing transfers (kind 7).
CREATE TABLE transfers (
  transfer_id       uuid NOT NULL,
  debit_account_id  uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          char(3) NOT NULL,
  kind              smallint NOT NULL CHECK (kind BETWEEN 1 AND 10),
  description       text NOT NULL DEFAULT '',
  metadata          jsonb NOT NULL DEFAULT '{}',
  -- Who posted it and with which idempotency key (audit; uniqueness is in idempotency_keys).
  caller            text NOT NULL,
  idempotency_key   text,
  -- The linked batch it belongs to (all of it applied, or none).
  batch_id          uuid,
  -- For the posting of a two-phase transfer: the hold (pending transfer) it posts.
  hold_id           uuid,
  created_at        timestamptz NOT NULL,
  PRIMARY KEY (debit_account_id, transfer_id),
  CONSTRAINT transfers_two_accounts CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX transfers_by_batch ON transfers (batch_id) WHERE batch_id IS NOT NULL;

-- Both legs of every transfer, one row per account: what history, statements and the spending
-- summary read, sharded with the account. balance_after is the account's posted balance right
-- after the transfer (point-in-time balances for statements). The primary key is also the
-- history's index: transfer ids are UUIDv7, time-ordered, made by the writer while it holds the
-- account's row lock, so per account they follow the order in which the balance changed; time
-- ranges become id ranges (the first 48 bits are the milliseconds). One index per leg, not two.
CREATE TABLE entries (
  account_id              uuid NOT NULL,
  transfer_id             uuid NOT NULL,
  -- 1 in (credited), 2 out (debited): the proto Direction values.
  direction               smallint NOT NULL CHECK (direction IN (1, 2)),
  counterparty_account_id uuid NOT NULL,
  amount_minor            bigint NOT NULL CHECK (amount_minor > 0),
  currency                char(3) NOT NULL,
  kind                    smallint NOT NULL,
  balance_after           bigint NOT NULL,
  created_at              timestamptz NOT NULL,
  PRIMARY KEY (account_id, transfer_id)
);

-- Holds: pending transfers. Only the state moves, once, from pending to a final state.
CREATE TABLE holds (
  hold_id             uuid NOT NULL,
  debit_account_id    uuid NOT NULL,
  credit_account_id   uuid NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  currency            char(3) NOT NULL,
  kind                smallint NOT NULL CHECK (kind BETWEEN 1 AND 10),
  description         text NOT NULL DEFAULT '',
  metadata            jsonb NOT NULL DEFAULT '{}',
  caller              text NOT NULL,
  idempotency_key     text,
  state               smallint NOT NULL CHECK (state BETWEEN 1 AND 4),
  posted_amount_minor bigint CHECK (posted_amount_minor > 0 AND posted_amount_minor <= amount_minor),
  posted_transfer_id  uuid,
  void_reason         text,
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz,
  resolved_at         timestamptz,
  PRIMARY KEY (debit_account_id, hold_id),
  CONSTRAINT holds_two_accounts CHECK (debit_account_id <> credit_account_id),
  CONSTRAINT holds_resolution CHECK ((state = 1) = (resolved_at IS NULL)
                                     AND (state = 2) = (posted_transfer_id IS NOT NULL))
);
CREATE INDEX holds_by_id ON holds (hold_id);
-- History and lists by account: the primary key serves the debit side, this the credit side.
CREATE INDEX holds_by_credit ON holds (credit_account_id, hold_id);
CREATE INDEX holds_expiring ON holds (expires_at) WHERE state = 1 AND expires_at IS NOT NULL;

-- Idempotency: one row per (caller, key), written in the same transaction as the money it moved,
-- with a hash of the request and the result to replay. Failed requests leave no row.
CREATE TABLE idempotency_keys (
  caller          text NOT NULL,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  -- 1 post transfers, 2 create hold, 3 post hold, 4 void hold
  operation       smallint NOT NULL,
  request_hash    text NOT NULL,
  -- JSON, kept as text: written once, read back verbatim on a replay, never queried inside.
  result          text NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (caller, idempotency_key)
);

-- ---- The database refuses what must never happen, whatever the C++ does ----

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'P0001';
END
$fn$;

CREATE TRIGGER transfers_immutable BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('TRANSFERS_ARE_IMMUTABLE');
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change('TRANSFERS_ARE_IMMUTABLE');
CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('ENTRIES_ARE_IMMUTABLE');
CREATE TRIGGER accounts_immutable BEFORE UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('ACCOUNTS_ARE_IMMUTABLE');
CREATE TRIGGER idempotency_keys_immutable BEFORE UPDATE OR DELETE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('IDEMPOTENCY_KEYS_ARE_IMMUTABLE');
CREATE TRIGGER balances_no_delete BEFORE DELETE ON balances
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('BALANCES_ARE_NOT_DELETED');

-- Balances: sums only move forward (a posted sum never shrinks), allow_negative never changes,
-- and a frozen account takes no new debit (posted or pending).
CREATE FUNCTION ledger_check_balance_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.account_id <> OLD.account_id OR NEW.currency <> OLD.currency
     OR NEW.allow_negative <> OLD.allow_negative THEN
    RAISE EXCEPTION 'BALANCE_IDENTITY_IS_IMMUTABLE';
  END IF;
  IF NEW.posted_debits < OLD.posted_debits OR NEW.posted_credits < OLD.posted_credits THEN
    RAISE EXCEPTION 'POSTED_SUMS_ONLY_GROW';
  END IF;
  IF OLD.frozen AND NEW.frozen
     AND (NEW.posted_debits > OLD.posted_debits OR NEW.pending_debits > OLD.pending_debits) THEN
    RAISE EXCEPTION 'ACCOUNT_FROZEN';
  END IF;
  RETURN NEW;
END
$fn$;
-- The WHEN clause is evaluated without calling the function: the plpgsql check only runs for an
-- update that could break a rule (a frozen row, a shrinking sum, a changed identity), not for every
-- ordinary posting.
CREATE TRIGGER balances_update BEFORE UPDATE ON balances
  FOR EACH ROW
  WHEN (OLD.frozen OR NEW.posted_debits < OLD.posted_debits
        OR NEW.posted_credits < OLD.posted_credits OR NEW.account_id <> OLD.account_id
        OR NEW.currency <> OLD.currency OR NEW.allow_negative <> OLD.allow_negative)
  EXECUTE FUNCTION ledger_check_balance_update();

-- Holds: one transition, from pending to posted / voided / expired; nothing else changes.
CREATE FUNCTION ledger_check_hold_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.state <> 1 OR NEW.state = 1 THEN
    RAISE EXCEPTION 'HOLD_NOT_PENDING';
  END IF;
  IF (NEW.hold_id, NEW.debit_account_id, NEW.credit_account_id, NEW.amount_minor, NEW.currency,
      NEW.kind, NEW.description, NEW.metadata, NEW.caller, NEW.idempotency_key, NEW.created_at,
      NEW.expires_at)
     IS DISTINCT FROM
     (OLD.hold_id, OLD.debit_account_id, OLD.credit_account_id, OLD.amount_minor, OLD.currency,
      OLD.kind, OLD.description, OLD.metadata, OLD.caller, OLD.idempotency_key, OLD.created_at,
      OLD.expires_at) THEN
    RAISE EXCEPTION 'HOLD_TERMS_ARE_IMMUTABLE';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER holds_update BEFORE UPDATE ON holds
  FOR EACH ROW EXECUTE FUNCTION ledger_check_hold_update();
CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('HOLDS_ARE_NOT_DELETED');
