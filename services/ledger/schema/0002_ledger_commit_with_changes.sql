-- The batching writer sends a batch's changes and its COMMIT in one round trip. What it checks
-- about those changes (every balance row and hold it meant to update was updated) must therefore
-- fail inside the statement, so that the server skips the COMMIT, instead of in C++ afterwards.
CREATE FUNCTION ledger_expect_rows(actual bigint, expected bigint, what text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
BEGIN
  IF actual <> expected THEN
    RAISE EXCEPTION '%', what USING ERRCODE = 'P0001';
  END IF;
  RETURN actual;
END
$fn$;

-- Every posting updates two balance rows. Room left on each page lets PostgreSQL keep the new row
-- version on the same page (a HOT update: no new primary-key entry, pruned in place).
ALTER TABLE balances SET (fillfactor = 80);
