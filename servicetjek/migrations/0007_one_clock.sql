-- One clock (servicetjek/clock.py): every TIMESTAMP column holds naive UTC, every DATE a
-- Copenhagen calendar day; the connection runs with TimeZone=UTC so current_timestamp
-- defaults are UTC too. meetings.starts_at held Copenhagen wall-clock time: convert it.
-- (Times written with the server's local clock before this version - meeting step times,
-- trial history - are only ever subtracted from each other, so they are left as they are.)
UPDATE meetings SET starts_at = timezone('UTC', timezone('Europe/Copenhagen', starts_at));
