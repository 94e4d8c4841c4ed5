#!/usr/bin/env bash
# history TABLE COLUMN=VALUE: one row's changes, oldest first, each with
# the whole row after it: an unchanged TOASTed value carried forward, a
# column added by a migration, the key changed (followed both ways), the
# delete; on a table loaded the pg_dump way and on one under REPLICA
# IDENTITY FULL; a row that predates capture, from its value in the
# baseline; and what it says when the key or the table is wrong.
. "$(dirname "$0")/../lib/harness.sh"

# A server time zone other than UTC: the baseline must read as the
# journal does.
pg_start src 5796 "timezone = 'Europe/Paris'"
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE acct (id int NOT NULL, name text, note text, bal int)"
# Rows from before setup, in the baseline only; a quoted name, a TOASTed
# value and one with COPY's escapes in it.
sql src app "CREATE TABLE \"Old Items\" (\"Id\" int PRIMARY KEY, note text, v int);
	ALTER TABLE \"Old Items\" ALTER note SET STORAGE EXTERNAL;
	INSERT INTO \"Old Items\" VALUES (1, repeat('o', 10000), 1), (2, 'two', 2),
		(3, 'three', 3), (4, E'tab\\there\\\\back\\nline', 4)"
sql src app "CREATE TABLE tr (id int PRIMARY KEY, v text); INSERT INTO tr VALUES (1, 'a'), (2, 'b')"
sql src app "CREATE TABLE re (id int PRIMARY KEY, v text); INSERT INTO re VALUES (1, 'old')"
sql src app "CREATE TABLE ev (id int PRIMARY KEY, at timestamptz, n int);
	INSERT INTO ev VALUES (1, '2026-01-01 10:00:00+01', 1)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }

# pg_dump's order: data, then the key.
sql src app "ALTER TABLE acct ALTER note SET STORAGE EXTERNAL;
	INSERT INTO acct VALUES (1, 'ann', repeat('n', 10000), 10), (2, 'bob', NULL, 20);
	ALTER TABLE ONLY acct ADD CONSTRAINT acct_pkey PRIMARY KEY (id)"
sql src app "UPDATE acct SET bal = 11 WHERE id = 1"		# note: TOAST, not sent
sql src app "UPDATE acct SET bal = 21 WHERE id = 2"		# another row
sql src app "ALTER TABLE acct ADD COLUMN tier int"
sql src app "UPDATE acct SET tier = 3 WHERE id = 1"
sql src app "UPDATE acct SET id = 100 WHERE id = 1"		# a new key
sql src app "UPDATE acct SET bal = 12 WHERE id = 100"
sql src app "DELETE FROM acct WHERE id = 100"
sql src app "CREATE TABLE prices (id int PRIMARY KEY, price int);
	ALTER TABLE prices REPLICA IDENTITY FULL;
	INSERT INTO prices VALUES (7, 70); UPDATE prices SET price = 71 WHERE id = 7;
	CREATE TABLE notes (a int, b text); INSERT INTO notes VALUES (1, 'x')"
sql src app "UPDATE \"Old Items\" SET v = 10 WHERE \"Id\" = 1;	-- note: TOAST, not sent
	DELETE FROM \"Old Items\" WHERE \"Id\" = 2;
	UPDATE \"Old Items\" SET v = 40 WHERE \"Id\" = 4"
sql src app "UPDATE tr SET v = 'bb' WHERE id = 2"
sql src app "UPDATE ev SET n = 2 WHERE id = 1"
# The same name, another table: the baseline's rows are not its.
sql src app "DROP TABLE re; CREATE TABLE re (id int PRIMARY KEY, v text);
	INSERT INTO re VALUES (2, 'new')"
sql src app "TRUNCATE tr"
sql src app "INSERT INTO tr VALUES (2, 'again')"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

# ops and the row after each, one line per change
summary() {
	perl -MJSON::PP -ne '$o = JSON::PP->new->canonical->decode($_);
		$r = $o->{row};
		print $o->{op}, " ", (defined $r ? join(",", map { "$_=" . (defined $r->{$_} ? (length($r->{$_}) > 20 ? "len" . length($r->{$_}) : $r->{$_}) : "null") } sort keys %$r) : "none"), "\n"'
}
EXPECTED='insert bal=10,id=1,name=ann,note=len10000
update bal=11,id=1,name=ann,note=len10000
update bal=11,id=1,name=ann,note=len10000,tier=3
update bal=11,id=100,name=ann,note=len10000,tier=3
update bal=12,id=100,name=ann,note=len10000,tier=3
delete none'
P --json history acct id=1
is "$RC" 0 "history acct id=1" || diag "$ERR"
is "$(echo "$OUT" | summary)" "$EXPECTED" \
	"every change of row 1, oldest first: the TOASTed note carried forward, the new column, the new key, the delete"
P --json history public.acct id=100
is "$(echo "$OUT" | summary)" "$EXPECTED" "asked by its later key: the same history"
is "$(echo "$OUT" | head -1 | json_get op)" "insert" "each line is log's object"
like "$(echo "$OUT" | head -1)" '"lsn":"[0-9A-F]+/[0-9A-F]+"' "with its LSN, for replay --to"
P --json history acct id=2
is "$(echo "$OUT" | summary)" "insert bal=20,id=2,name=bob,note=null
update bal=21,id=2,name=bob,note=null" "another row: its own changes only"
P --json history prices id=7
is "$(echo "$OUT" | summary)" "insert id=7,price=70
update id=7,price=71" "REPLICA IDENTITY FULL: the row by its primary key"
FIRST_UPDATE=$(P --json history acct id=1; echo "$OUT" | sed -n 2p | json_get lsn)
P --json history acct id=1 --from "$FIRST_UPDATE"
is "$(echo "$OUT" | wc -l)" "5" "--from keeps the changes from that point on" || diag "from $FIRST_UPDATE: $OUT $ERR"
P history acct id=1
like "$OUT" 'row: id=100 name=ann' "as text: each change, then the row"

check_fail "not the key" 2 -c "$W/config.yaml" history acct name=ann
like "$ERR" 'named by its key \(id\)' "says which columns name a row"
P --json history notes a=1 b=x
is "$(echo "$OUT" | summary)" "insert a=1,b=x" "a table without a key: its row by all its columns"
check_fail "a table without a key, one column" 2 -c "$W/config.yaml" history notes a=1
like "$ERR" 'has no key: a row of it is named by all its columns \(a, b\)' "says so"
check_fail "no such table" 2 -c "$W/config.yaml" history nosuch id=1
check_fail "no key given" 2 -c "$W/config.yaml" history acct
P --json history acct id=999
is "$RC:$OUT" "0:" "a row without changes: nothing, and success"

# Rows that predate capture start from the baseline.
P --json history '"Old Items"' Id=1
is "$RC" 0 "history of a row from before setup" || diag "$ERR"
is "$(echo "$OUT" | summary)" "baseline Id=1,note=len10000,v=1
update Id=1,note=len10000,v=10" \
	"it starts from the baseline, and the unchanged TOASTed note is known from it"
P --json history '"Old Items"' Id=2
is "$(echo "$OUT" | summary)" "baseline Id=2,note=two,v=2
delete none" "a row deleted after capture: the baseline, then the delete"
P --json history '"Old Items"' Id=3
is "$(echo "$OUT" | summary)" "baseline Id=3,note=three,v=3" \
	"a row never changed: its baseline value"
P --json history '"Old Items"' Id=4
is "$(echo "$OUT" | head -1 | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{row}{note}')" \
	"$(printf 'tab\there\\back\nline')" "COPY's escapes read back to the value"
P --json history '"Old Items"' Id=5
is "$RC:$OUT" "0:" "a row in neither the journal nor the baseline: nothing"
UPDATE_LSN=$(P --json history '"Old Items"' Id=1; echo "$OUT" | sed -n 2p | json_get lsn)
P --json history '"Old Items"' Id=1 --from "$UPDATE_LSN"
is "$(echo "$OUT" | summary)" "update Id=1,note=len10000,v=10" \
	"--from after the baseline: the row is still built from it"
P history '"Old Items"' Id=3
like "$OUT" 'baseline public.Old Items: the row when capture began' "as text: the baseline named"
# The baseline in the journal's form: a timestamptz in UTC, whatever the
# server's zone, so the update changed n only.
P --json history ev id=1
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{op}:$o->{row}{at}:$o->{row}{n} "')" \
	"baseline:2026-01-01 09:00:00+00:1 update:2026-01-01 09:00:00+00:2 " \
	"a baseline value reads as the journal's, in UTC"
P --json diff creation now --table ev
is "$(echo "$OUT" | json_get tables.0.updated)" '[{"after":{"n":"2"},"before":{"n":"1"},"key":{"id":"1"}}]' \
	"diff: the update changed n, and the time stamp not at all"

# A truncate ends the row where it stands.
P --json history tr id=1
is "$(echo "$OUT" | summary)" "baseline id=1,v=a
truncate none" "a row the table's truncate removed: its history ends there"
P --json history tr id=2
is "$(echo "$OUT" | summary)" "baseline id=2,v=b
update id=2,v=bb
truncate none
insert id=2,v=again" "and one put back after it goes on"

# A second truncate removes only what came after the first: the baseline's
# rows were gone already.
check_ok "checkpoint C1" -c "$W/config.yaml" checkpoint create C1
sql src app "TRUNCATE tr; TRUNCATE re"
check_ok "checkpoint C2" -c "$W/config.yaml" checkpoint create C2
check_ok "listen --until now" -c "$W/config.yaml" listen --until now
P --json diff C1 C2 --table tr
is "$(echo "$OUT" | json_get tables.0.deleted)" '[{"id":"2","v":"again"}]' \
	"diff over a second truncate: only the row put back after the first"
P --json diff C1 C2 --table re
is "$(echo "$OUT" | json_get tables.0.deleted)" '[{"id":"2","v":"new"}]' \
	"a table made again under a dropped one's name: the dump's rows are not its"
P --json history re id=1
is "$RC:$OUT" "0:" "nor is the dropped table's row in its history"

mv "$W/data/baseline.dump" "$W/baseline.away"
P --json history '"Old Items"' Id=1
is "$(echo "$OUT" | summary)" "update Id=1,note=null,v=10" "without the dump the history goes on from the journal" || diag "$ERR"
like "$ERR" "warning: the row's value in the baseline .* is not known" "and says the baseline could not be read"
done_testing
