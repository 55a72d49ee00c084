-- Refund requests: merchants reject them, both sides list them, and partial refunds are tracked.
--   status: 1 REQUESTED, 2 REFUNDED, 3 REJECTED, 4 PARTIALLY_REFUNDED (open: 1 and 4)
--   refunded_minor: what of amount_minor came back (linked refunds that succeeded, or all of it
--     once the payment was refunded or reversed in full)
--   reserved_minor: linked refunds still in flight; refunded + reserved never passes the request
--   merchant_id: the merchant paid (merchant payments only), for the merchant's list
--   decision_reason: the merchant's reason when REJECTED
ALTER TABLE refund_requests
  ADD COLUMN refunded_minor  bigint NOT NULL DEFAULT 0,
  ADD COLUMN reserved_minor  bigint NOT NULL DEFAULT 0,
  ADD COLUMN merchant_id     text NOT NULL DEFAULT '',
  ADD COLUMN decision_reason text NOT NULL DEFAULT '';

-- Which refunds answered which request (several partial ones may): the amount each counted
-- towards the request, and whether it is in flight (1), succeeded (2) or failed (3).
CREATE TABLE refund_request_refunds (
  refund_payment_id uuid PRIMARY KEY REFERENCES payments (payment_id),
  refund_request_id uuid NOT NULL REFERENCES refund_requests (refund_request_id),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  state             smallint NOT NULL CHECK (state BETWEEN 1 AND 3)
);
CREATE INDEX refund_request_refunds_request ON refund_request_refunds (refund_request_id);

UPDATE refund_requests r SET merchant_id = p.payee_user_id
  FROM payments p
 WHERE p.payment_id = r.payment_id AND p.kind = 2 AND p.payee_user_id IS NOT NULL;

-- A refund linked before this migration and still in flight becomes a reservation.
INSERT INTO refund_request_refunds (refund_payment_id, refund_request_id, amount_minor, state)
SELECT p.payment_id, r.refund_request_id, LEAST(p.amount_minor, r.amount_minor), 1
  FROM refund_requests r JOIN payments p ON p.payment_id::text = r.refund_payment_id
 WHERE r.status = 1 AND r.refund_payment_id <> '' AND p.status = 1;
UPDATE refund_requests r SET reserved_minor = l.amount_minor, refund_payment_id = ''
  FROM refund_request_refunds l
 WHERE l.refund_request_id = r.refund_request_id AND l.state = 1;

-- Requests answered before: in full, except those a smaller linked refund marked REFUNDED while
-- the payment still had money left (the bug this migration fixes): those are partly refunded.
UPDATE refund_requests r SET status = 4, decided_at = NULL, refunded_minor = p.amount_minor
  FROM payments p, payments o
 WHERE r.status = 2 AND p.payment_id::text = r.refund_payment_id AND p.kind = 5
   AND p.status = 3 AND p.amount_minor < r.amount_minor
   AND o.payment_id = r.payment_id AND o.status = 3;
UPDATE refund_requests SET refunded_minor = amount_minor WHERE status = 2;

ALTER TABLE refund_requests
  ADD CONSTRAINT refund_requests_status_known CHECK (status BETWEEN 1 AND 4),
  ADD CONSTRAINT refund_requests_amounts CHECK (
    refunded_minor >= 0 AND reserved_minor >= 0 AND refunded_minor + reserved_minor <= amount_minor);

-- Listing: a customer's requests and a merchant's, newest first (ids are time-ordered UUIDv7).
CREATE INDEX refund_requests_by_user ON refund_requests (user_id, refund_request_id DESC);
CREATE INDEX refund_requests_by_merchant ON refund_requests (merchant_id, refund_request_id DESC)
  WHERE merchant_id <> '';
