-- Refund requests are for merchant payments only: RequestRefund refuses a transfer to a person
-- from now on (merchants answer requests; a person can send money back, support resolves
-- disputes). Requests made earlier on a transfer had nobody to answer them, so the open ones are
-- closed as REJECTED with the sentence the customer sees. One the payment's full refund or
-- reversal already answered (REFUNDED) stays as it is.
UPDATE refund_requests r
   SET status = 3,
       decided_at = now(),
       decision_reason = 'A transfer to a person is not refunded on request: ask them to send '
                         'it back, or open a dispute.'
  FROM payments p
 WHERE p.payment_id = r.payment_id
   AND p.kind = 1
   AND r.status IN (1, 4)
   AND r.reserved_minor = 0;
