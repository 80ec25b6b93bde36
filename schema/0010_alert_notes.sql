-- Issue 11 (oversight in the app): an alert's acknowledgement keeps the regulator's note and
-- the time it was logged, so the alert list (and its CSV) shows who said what without
-- decoding the log entry (`acked_seq`, which stays the proof).
ALTER TABLE alerts ADD COLUMN ack_note TEXT;
ALTER TABLE alerts ADD COLUMN acked_at TEXT;
