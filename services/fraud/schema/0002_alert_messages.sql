-- What an alert says as a key and its arguments, for apps that word it in the user's language
-- (title and body stay the English wording). Older alerts keep an empty key.
ALTER TABLE alerts ADD COLUMN message_key text NOT NULL DEFAULT '',
                   ADD COLUMN message_args jsonb NOT NULL DEFAULT '{}';
