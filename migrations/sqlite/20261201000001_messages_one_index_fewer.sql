-- Every message was written to three indexes besides its row; the primary key already makes
-- (conversation_id, message_id) unique, because message_ts is the time inside the TimeUUID
-- message_id. Lookups by id name both columns of the primary key instead. One page fewer
-- written (and synced) per message: BENCHMARKS.md, issue 14.
DROP INDEX messages_id_key;
