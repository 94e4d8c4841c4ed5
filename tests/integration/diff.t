#!/usr/bin/env bash
# diff against a real server: the net per-row difference between two
# checkpoints matches the tables as they were (snapshots taken when the
# checkpoints were made); an insert then delete leaves nothing; a key
# change is a delete plus an insert; values the window lacks are found
# looking back; and the SQL output, run on a copy of state A, gives B.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5661
sql src postgres "CREATE DATABASE app"
SCHEMA="CREATE TABLE t (id int PRIMARY KEY, v text, big text);
	ALTER TABLE t ALTER big SET STORAGE EXTERNAL;
	CREATE TABLE f (a int, b text);
	ALTER TABLE f REPLICA IDENTITY FULL;
	CREATE TABLE \"Odd \"\"Name\" (id int PRIMARY KEY, \"V a\" text)"
sql src app "$SCHEMA"
# Rows from before capture: their old values are in the baseline only.
sql src app "INSERT INTO t VALUES (1, 'one', NULL);
	INSERT INTO f VALUES (1, 'x'), (2, 'y')"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }

# snap NAME: the tables, sorted, as COPY writes them.
snap() {
	sql src app "COPY (SELECT * FROM t ORDER BY id) TO STDOUT" >"$TEST_ROOT/$1.t"
	sql src app "COPY (SELECT * FROM f ORDER BY a, b) TO STDOUT" >"$TEST_ROOT/$1.f"
	sql src app "COPY (SELECT * FROM \"Odd \"\"Name\" ORDER BY id) TO STDOUT" >"$TEST_ROOT/$1.o"
}

# Rows captured before A: look-back finds their values.
sql src app "INSERT INTO t VALUES (2, 'two', NULL), (3, 'three', repeat('b', 10000)),
		(4, 'four', NULL), (5, 'five', NULL), (6, 'six', NULL),
		(7, 'seven', NULL);
	INSERT INTO f VALUES (3, 'z');
	INSERT INTO \"Odd \"\"Name\" VALUES (1, 'it''s')"
check_ok "checkpoint A" -c "$W/config.yaml" --headless checkpoint create A
snap A

sql src app "INSERT INTO t VALUES (10, 'ten', NULL)"
sql src app "UPDATE t SET v = 'deux' WHERE id = 2"
sql src app "UPDATE t SET v = 'trois' WHERE id = 3"		# big: unchanged TOAST
sql src app "UPDATE t SET id = 40 WHERE id = 4"			# key change
sql src app "DELETE FROM t WHERE id = 5"
sql src app "INSERT INTO t VALUES (99, 'gone', NULL)"
sql src app "DELETE FROM t WHERE id = 99"			# insert then delete
sql src app "UPDATE t SET v = 'a' WHERE id = 6"
sql src app "UPDATE t SET v = 'b' WHERE id = 6"			# a chain
sql src app "UPDATE t SET v = 'uno' WHERE id = 1"		# predates capture
sql src app "UPDATE t SET v = 'same' WHERE id = 7; UPDATE t SET v = 'seven' WHERE id = 7"
sql src app "INSERT INTO f VALUES (10, 'new')"
sql src app "UPDATE f SET b = 'yy' WHERE a = 2"
sql src app "DELETE FROM f WHERE a = 3"
sql src app "INSERT INTO f VALUES (98, 'gone'); DELETE FROM f WHERE a = 98"
sql src app "UPDATE \"Odd \"\"Name\" SET \"V a\" = 'o''k' WHERE id = 1"
check_ok "checkpoint B" -c "$W/config.yaml" --headless checkpoint create B
snap B

sql src app "INSERT INTO t VALUES (11, 'later', NULL); DELETE FROM t WHERE id = 2"
sql src app "ALTER TABLE t ADD COLUMN w int"
sql src app "UPDATE t SET w = 1 WHERE id = 3"
sql src app "INSERT INTO f VALUES (20, 'pre'); UPDATE f SET b = 'yyy' WHERE a = 2"
sql src app "TRUNCATE f"
sql src app "INSERT INTO f VALUES (21, 'post'), (1, 'x')"
check_ok "checkpoint C" -c "$W/config.yaml" --headless checkpoint create C
sql src app "COPY (SELECT * FROM f ORDER BY a, b) TO STDOUT" >"$TEST_ROOT/C.f"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

# expected TABLE KEYCOLS [FROM TO]: from the snapshots (A and B unless
# named), "ins:... del:... upd:..." keyed by the first KEYCOLS fields (0:
# the whole row).
expected() {
	perl -e '
		my ($a, $b, $k) = @ARGV;
		sub rows { my %h; open my $fh, "<", $_[0] or die;
			while (<$fh>) { chomp; my @f = split /\t/, $_, -1;
				my $key = $k ? join(",", @f[0 .. $k - 1]) : join(",", @f);
				$h{$key} = $_ } %h }
		my %a = rows($a); my %b = rows($b);
		my @i = sort grep { !exists $a{$_} } keys %b;
		my @d = sort grep { !exists $b{$_} } keys %a;
		my @u = sort grep { exists $b{$_} && $a{$_} ne $b{$_} } keys %a;
		print "ins:@i del:@d upd:@u";
	' "$TEST_ROOT/${3:-A}.$1" "$TEST_ROOT/${4:-B}.$1" "$2"
}
# got TABLE KEYS: the same from diff's JSON on stdin; KEYS the key names.
got() {
	perl -MJSON::PP -e '
		my ($t, @k) = @ARGV;
		my $d = JSON::PP->new->decode(do { local $/; <STDIN> });
		my ($x) = grep { $_->{table} eq $t } @{$d->{tables}};
		sub key { my $r = shift; join ",", map { $r->{$_} // "\\N" }
			(@k ? @k : sort keys %$r) }
		my @i = sort map { key($_) } @{$x->{inserted}};
		my @d = sort map { key($_) } @{$x->{deleted}};
		my @u = sort map { key($_->{key}) } @{$x->{updated}};
		print "ins:@i del:@d upd:@u";
	' "$@"
}

P --headless --json diff A B
is "$RC" 0 "diff A B --json"
JSON=$OUT
is "$(echo "$JSON" | got t id)" "$(expected t 1)" "t: the rows that differ between the snapshots at A and B"
is "$(echo "$JSON" | got t id)" "ins:10 40 del:4 5 upd:1 2 3 6" "t: the key change is a delete and an insert; 99 (inserted, deleted) and 7 (changed and back) leave nothing"
is "$(echo "$JSON" | got f a b)" "$(expected f 0)" "f (REPLICA IDENTITY FULL): the rows that differ, as whole rows"
is "$(echo "$JSON" | got 'Odd "Name' id)" "$(expected o 1)" "a table whose name needs quoting"
is "$(echo "$JSON" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	($u) = grep { $_->{key}{id} eq "2" } @{$t->{updated}};
	print JSON::PP->new->canonical->encode($u)')" \
	'{"after":{"v":"deux"},"before":{"v":"two"},"key":{"id":"2"}}' \
	"an update under REPLICA IDENTITY DEFAULT: the old value is found looking back"
is "$(echo "$JSON" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	($u) = grep { $_->{key}{id} eq "3" } @{$t->{updated}};
	print join(",", sort keys %{$u->{after}})')" "v" \
	"an update that leaves a TOASTed column alone: only the changed column"
is "$(echo "$JSON" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	($u) = grep { $_->{key}{id} eq "1" } @{$t->{updated}};
	print JSON::PP->new->canonical->encode($u)')" \
	'{"after":{"v":"uno"},"before":{"v":"one"},"key":{"id":"1"}}' \
	"a row from before capture: its old values come from the baseline"
is "$(echo "$JSON" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	($r) = grep { $_->{id} eq "40" } @{$t->{inserted}};
	print length($r->{big} // ""), " ", $r->{v}')" "0 four" \
	"the key change inserts the whole row"
is "$(echo "$JSON" | json_get ddl)" "null" "no DDL in (A, B]: no ddl member"

P --headless diff A B
is "$RC" 0 "diff A B as text"
like "$OUT" 'public\.t: 2 inserted, 2 deleted, 4 updated' "text: counts per table first"
like "$OUT" '~ id=2: v: two -> deux' "text: an update, old -> new"
unlike "$OUT" 'values before unknown' "text: no value is unknown, the baseline has them"

P --headless --json diff B C
like "$(echo "$OUT" | json_get ddl)" 'ALTER TABLE t ADD COLUMN w int' "DDL inside the window is listed"
is "$(echo "$OUT" | got t id)" "ins:11 del:2 upd:3" "B to C: after the DDL too"
P --headless --json diff B C --table '"Odd ""Name"'
is "$(echo "$OUT" | json_get tables)" "[]" "--table keeps one table"

# --- the SQL takes a copy of state A to state B ---
P --headless diff A B --format sql
is "$RC" 0 "diff A B --format sql"
SQLTEXT=$OUT
sql src postgres "CREATE DATABASE copy"
sql src copy "$SCHEMA"
for x in t:t f:f 'o:"Odd ""Name"'; do
	psql -X -q -v ON_ERROR_STOP=1 "$(pg_dsn src copy)" -c "COPY ${x#*:} FROM STDIN" <"$TEST_ROOT/A.${x%%:*}"
done
echo "$SQLTEXT" | psql -X -q -v ON_ERROR_STOP=1 "$(pg_dsn src copy)" >/dev/null 2>"$TEST_ROOT/apply.err"
is "$?" 0 "the SQL runs on a copy of state A" || diag "$(cat "$TEST_ROOT/apply.err")" "$SQLTEXT"
is "$(sql src copy "COPY (SELECT * FROM t ORDER BY id) TO STDOUT" | md5sum)" "$(md5sum <"$TEST_ROOT/B.t")" "t is then as at B"
is "$(sql src copy "COPY (SELECT * FROM f ORDER BY a, b) TO STDOUT")" "$(cat "$TEST_ROOT/B.f")" "f is then as at B"
is "$(sql src copy "COPY (SELECT * FROM \"Odd \"\"Name\" ORDER BY id) TO STDOUT")" "$(cat "$TEST_ROOT/B.o")" "the quoted table is then as at B"

# A truncate inside the window: the SQL truncates, then inserts what B holds.
P --headless --json diff B C --table f
is "$(echo "$OUT" | json_get tables.0.truncated)" "true" "a truncate inside the window is said"
is "$(echo "$OUT" | got f a b)" "$(expected f 0 B C)" \
	"B to C over a truncate: rows from before capture, in the baseline only, are listed too"
is "$(echo "$OUT" | got f a b)" "ins:21,post del:10,new 2,yy upd:" \
	"(1, x) from before capture, truncated and put back, is no change"
P --headless diff B C --table f --format sql
like "$OUT" 'TRUNCATE ONLY "public"."f";' "the SQL truncates the table again"
sql src copy "TRUNCATE f"
psql -X -q -v ON_ERROR_STOP=1 "$(pg_dsn src copy)" -c "COPY f FROM STDIN" <"$TEST_ROOT/B.f"
echo "$OUT" | psql -X -q -v ON_ERROR_STOP=1 "$(pg_dsn src copy)" >/dev/null 2>"$TEST_ROOT/apply.err"
is "$?" 0 "and runs on a copy of f at B" || diag "$(cat "$TEST_ROOT/apply.err")"
is "$(sql src copy "COPY (SELECT * FROM f ORDER BY a, b) TO STDOUT")" "$(cat "$TEST_ROOT/C.f")" "f is then as at C"

# --- REPLICA IDENTITY FULL: rows are named by their key, not every column ---
# pgoutput flags every column as identity under FULL (source.full_row_images
# sets it); an update of a price is still an update of that product.  Made
# the way real schemas are: keys added after the data, as pg_dump does, a
# unique NOT NULL column with no primary key, a partitioned table with a
# default partition.
sql src app "CREATE TABLE products (id int PRIMARY KEY, name text, price numeric);
	CREATE TABLE accounts (aid int NOT NULL, bid int, abalance int, filler character(84));
	INSERT INTO products SELECT g, 'p' || g, g * 10 FROM generate_series(1, 5) g;
	INSERT INTO accounts SELECT g, 1, 0, '' FROM generate_series(1, 5) g;
	ALTER TABLE ONLY accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (aid);
	CREATE TABLE stock (code text NOT NULL UNIQUE, qty int);
	INSERT INTO stock VALUES ('a', 1), ('b', 2);
	CREATE TABLE m (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
	CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
	CREATE TABLE m_rest PARTITION OF m DEFAULT;
	INSERT INTO m VALUES (1, 'eu', 0), (2, 'us', 0);
	ALTER TABLE products REPLICA IDENTITY FULL;
	ALTER TABLE accounts REPLICA IDENTITY FULL;
	ALTER TABLE stock REPLICA IDENTITY FULL;
	ALTER TABLE m_eu REPLICA IDENTITY FULL;
	ALTER TABLE m_rest REPLICA IDENTITY FULL"
# A table the window truncates, every row of it captured; row 4 holds a
# TOASTed value its last update before K1 did not send.
sql src app "CREATE TABLE tq (id int PRIMARY KEY, v text, big text);
	ALTER TABLE tq ALTER big SET STORAGE EXTERNAL;
	INSERT INTO tq SELECT g, 'v' || g, NULL FROM generate_series(1, 6) g;
	UPDATE tq SET big = repeat('q', 10000) WHERE id = 4;
	UPDATE tq SET v = 'four' WHERE id = 4;
	UPDATE tq SET v = 'two' WHERE id = 2;
	DELETE FROM tq WHERE id = 6"
sql src app "COPY (SELECT * FROM tq ORDER BY id) TO STDOUT" >"$TEST_ROOT/A.tq"
check_ok "checkpoint K1" -c "$W/config.yaml" --headless checkpoint create K1
sql src app "UPDATE products SET price = price + 1 WHERE id IN (1, 2, 3);
	UPDATE accounts SET abalance = abalance - 7 WHERE aid IN (2, 4);
	UPDATE stock SET qty = 5 WHERE code = 'b';
	UPDATE m SET v = 9;
	UPDATE products SET id = 50 WHERE id = 5"
sql src app "UPDATE tq SET v = 'w' WHERE id = 3; TRUNCATE tq;
	INSERT INTO tq VALUES (3, 'back', NULL), (7, 'new', NULL)"
sql src app "COPY (SELECT * FROM tq ORDER BY id) TO STDOUT" >"$TEST_ROOT/B.tq"
check_ok "checkpoint K2" -c "$W/config.yaml" --headless checkpoint create K2
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --headless --json diff K1 K2
is "$RC" 0 "diff K1 K2 --json" || diag "$ERR"
is "$(echo "$OUT" | got products id)" "ins:50 del:5 upd:1 2 3" \
	"FULL with a primary key: price changes are updates; a new key is a delete and an insert"
is "$(echo "$OUT" | got accounts aid)" "ins: del: upd:2 4" \
	"FULL with a primary key added after the data, pg_dump style"
is "$(echo "$OUT" | got stock code)" "ins: del: upd:b" "FULL with a unique NOT NULL column and no primary key"
is "$(echo "$OUT" | got m_eu id region)" "ins: del: upd:1,eu" "FULL on a partition"
is "$(echo "$OUT" | got m_rest id region)" "ins: del: upd:2,us" "FULL on the default partition"
is "$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "products" } @{$d->{tables}};
	($u) = grep { $_->{key}{id} eq "2" } @{$t->{updated}};
	print JSON::PP->new->canonical->encode($u)')" \
	'{"after":{"price":"21"},"before":{"price":"20"},"key":{"id":"2"}}' \
	"an update names the row by its key and shows only what changed"
is "$(echo "$OUT" | got tq id)" "$(expected tq 1)" \
	"a truncate in the window: every row there was at K1 is listed as deleted, or updated when put back"
is "$(echo "$OUT" | got tq id)" "ins:7 del:1 2 4 5 upd:3" "the rows the truncate removed, by their key"
is "$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "tq" } @{$d->{tables}};
	($r) = grep { $_->{id} eq "4" } @{$t->{deleted}};
	print join(" ", $r->{v}, length $r->{big})')" "four 10000" \
	"a truncated row's values, the TOASTed one from before its last update"
P --headless diff K1 K2 --table tq
like "$OUT" 'public\.tq: 1 inserted, 4 deleted, 1 updated \(truncated in the window\)' \
	"as text: the counts with the truncated rows"
P --headless diff K1 K2 --table products --format sql
like "$OUT" 'UPDATE "public"."products" SET "price" = .21. WHERE "id" = .2.;' \
	"the SQL finds the row by its key"

# --- far back: the row index finds a row's last change however old ---
sql src app "INSERT INTO t VALUES (500, 'far', NULL, 5)"
sql src app "CREATE TABLE noise (id int PRIMARY KEY)"
sql src app "INSERT INTO noise SELECT g FROM generate_series(1, 150000) g"
check_ok "checkpoint D, 150,000 changes later" -c "$W/config.yaml" --headless checkpoint create D
sql src app "UPDATE t SET v = 'near' WHERE id = 500"
# Row 3: inserted before A with a TOASTed value that no update since sent.
sql src app "DELETE FROM t WHERE id = 3"
check_ok "checkpoint E" -c "$W/config.yaml" --headless checkpoint create E
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --headless --json diff D E
is "$RC" 0 "diff D E --json"
is "$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	print JSON::PP->new->canonical->encode($t->{updated}[0])')" \
	'{"after":{"v":"near"},"before":{"v":"far"},"key":{"id":"500"}}' \
	"an old value 150,000 changes back is found, not unknown"
is "$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	$r = $t->{deleted}[0];
	print join(" ", $r->{id}, $r->{v}, $r->{w}, length $r->{big})')" \
	"3 trois 1 10000" \
	"a deleted row's values, the TOASTed one from its insert under two updates"
P --headless --json diff D E --stat
is "$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	($t) = grep { $_->{table} eq "t" } @{$d->{tables}};
	print join(" ", $d->{changes}, $t->{inserted}, $t->{deleted}, $t->{updated})')" \
	"2 0 1 1" "--stat --json: the changes folded and the counts per table"
FROM_TO=$(echo "$OUT" | perl -MJSON::PP -e '$d = JSON::PP->new->decode(<STDIN>);
	print "$d->{from} to $d->{to}"')
P --headless diff D E --stat
is "$OUT" "from $FROM_TO: 1 tables changed
public.t: 0 inserted, 1 deleted, 1 updated" "--stat as text: the counts only"
check_fail "--stat with --format sql" 2 -c "$W/config.yaml" --headless diff D E --stat --format sql

# Without the baseline dump the diff stands, and says what it lacks.
mv "$W/data/baseline.dump" "$W/baseline.away"
P --headless --json diff A B
is "$RC" 0 "diff without the baseline dump"
like "$ERR" 'warning: the baseline could not be read .*rows unchanged since capture are not listed' "says so"
like "$OUT" '"before_unknown":\["v"' "and the old values only it held are unknown"
mv "$W/baseline.away" "$W/data/baseline.dump"

check_fail "an unknown point" 2 -c "$W/config.yaml" --headless diff A nowhere
check_fail "points the wrong way round" 2 -c "$W/config.yaml" --headless diff B A
check_fail "one point" 2 -c "$W/config.yaml" --headless diff A
check_fail "an unknown format" 2 -c "$W/config.yaml" --headless diff A B --format yaml
done_testing
