-- A device is known to an account by the secret it was given when it became known
-- (Session.device_token), not by its id: device ids are chosen by the app, so whoever learns one
-- could otherwise sign in as a known device and skip the new-device check. SHA-256 (hex) of the
-- secret. Devices recorded before this column existed have none: their next sign-in is treated as
-- a new device (checked once more, then given a secret).
ALTER TABLE devices ADD COLUMN secret_hash text;
