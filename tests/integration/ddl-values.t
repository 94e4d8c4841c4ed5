#!/usr/bin/env bash
# DDL that writes rows writes them where pgoutput cannot see them: CREATE
# TABLE AS and SELECT INTO fill their table before it can be published,
# and ADD COLUMN with a volatile default (random(), a serial, an identity)
# rewrites every row without a decoded change.  Run again on a replica,
# such DDL gives other rows, and CREATE TABLE AS EXECUTE does not run at
# all (the prepared statement was the source session's).  The capture
# sends the source's rows instead; replay makes the table plain and
# empty, then applies them.  The schema is loaded the pg_dump way (data,
# then keys) and has a key-less table and a partitioned one with a
# default partition.  The source's server prints dates the SQL way, day
# first, intervals the SQL-standard way and floats rounded, as a
# configuration may say: what pgtt journals must still read back the same.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5751 "datestyle = 'SQL, DMY'" "intervalstyle = 'sql_standard'" \
	"extra_float_digits = 0"
pg_start rep 5752
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql rep postgres "CREATE ROLE mallory"

sql src app "CREATE TABLE base (id int NOT NULL, name text);
	CREATE TABLE events (at_step int, what text);
	CREATE TABLE measures (id int NOT NULL, region text NOT NULL, v numeric)
		PARTITION BY LIST (region);
	CREATE TABLE measures_eu PARTITION OF measures FOR VALUES IN ('eu');
	CREATE TABLE measures_other PARTITION OF measures DEFAULT;
	INSERT INTO base SELECT g, 'name ' || g FROM generate_series(1, 30) g;
	INSERT INTO events SELECT g % 7, 'event ' || g FROM generate_series(1, 25) g;
	INSERT INTO measures SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, g / 4.0
		FROM generate_series(1, 40) g;
	CREATE TABLE fullpk (id int PRIMARY KEY, v text);
	ALTER TABLE fullpk REPLICA IDENTITY FULL;
	INSERT INTO fullpk SELECT g, 'v' || g FROM generate_series(1, 10) g;
	CREATE TABLE alw (id int PRIMARY KEY, v text);
	INSERT INTO alw SELECT g, 'v' || g FROM generate_series(1, 10) g;
	CREATE INDEX alw_desc ON alw (id DESC);
	CREATE ROLE mallory;
	GRANT CREATE ON SCHEMA public TO mallory;
	ALTER TABLE ONLY base ADD CONSTRAINT base_pkey PRIMARY KEY (id);
	ALTER TABLE measures ADD CONSTRAINT measures_pkey PRIMARY KEY (id, region)"

W=$TEST_ROOT/w
mkdir -p "$W"
cat >"$W/config.yaml" <<EOF
source:
  dsn: "$(pg_dsn src app)"
  sequence_interval: 0
storage:
  path: $W/data
replica:
  dsn: "$(pg_dsn rep app_replica)"
pitr:
  enabled: false
EOF
check_ok "setup" -c "$W/config.yaml" --headless setup
like "$OUT" 'pgtt_ddl_rewrite' "setup names the table_rewrite trigger"
P() { run_pgtt -c "$W/config.yaml" "$@"; }

# Compare in one exact format, whatever the server prints by default.
EXACT="-c datestyle=ISO,YMD -c intervalstyle=postgres -c extra_float_digits=3"
TABLES="typed dated idt fullpk alw wide m_own m_ctas base events measures picks prepared_copy selected nodata readings_now readings_rest"
snap() {
	for tbl in $TABLES; do
		echo "== $tbl"
		PGOPTIONS=$EXACT psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY (SELECT * FROM $tbl) TO STDOUT" 2>&1 | LC_ALL=C sort
	done
}
same() {
	if cmp -s "$1" "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "$(diff "$1" "$2" | head -20)"; fi
}
mark() {
	snap src app >"$TEST_ROOT/snap.$1"
	check_ok "checkpoint $1" -c "$W/config.yaml" --headless checkpoint create "$1"
}

# --- A: tables made by queries ---
# Values and DDL literals read with the session's DateStyle.
sql src app "CREATE TABLE typed (id int PRIMARY KEY, d date, ts timestamptz, i interval,
		f float8, b bytea);
	INSERT INTO typed VALUES (1, '2026-02-01', '2026-02-01 10:00+02', '1 day 2 hours',
		0.1::float8 + 0.2::float8, '\\x00ff')"
sql src app "SET datestyle = 'SQL, DMY'; CREATE TABLE dated (id int PRIMARY KEY,
		d date DEFAULT '01/02/2026', w date CHECK (w > '31/12/2025'))"
sql src app "INSERT INTO dated (id, w) VALUES (1, '2026-03-04')"
sql src app "CREATE TABLE idt (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
	INSERT INTO idt (v) VALUES ('a'), ('b')"
sql src app "CREATE TABLE picks AS SELECT id, random() AS r, clock_timestamp() AS t FROM base"
sql src app "PREPARE twice AS SELECT id, id * 2 AS doubled, random() AS r FROM base WHERE id <= \$1;
	CREATE TABLE prepared_copy AS EXECUTE twice(12)"
sql src app "SELECT id, md5(random()::text) AS token INTO selected FROM base WHERE id % 2 = 0"
sql src app "CREATE TABLE nodata AS SELECT * FROM base WITH NO DATA"
# A partition whose bound the server computed once, at CREATE time.
sql src app "CREATE TABLE readings (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
	CREATE TABLE readings_rest PARTITION OF readings DEFAULT"
sql src app "CREATE TABLE readings_now PARTITION OF readings
	FOR VALUES FROM (now() - interval '1 hour') TO (now() + interval '1 hour')"
sql src app "INSERT INTO readings VALUES (now(), 1), (now() + interval '2 hours', 2)"
# More columns than a function takes arguments.
WIDE=$(for i in $(seq 1 120); do printf '%s%d AS c%d' "${sep:-}" "$i" "$i"; sep=,; done)
sql src app "CREATE TABLE wide AS SELECT $WIDE"
# A role that may create tables names another's in pgtt's setting, to
# have the capture read that table out as rewritten rows.
sql src app "SET ROLE mallory; CREATE TABLE m_own (x int);
	SELECT set_config('pgtt.ddl_rewritten', json_build_object('key',
		current_setting('pgtt.ddl_emitted'), 'oids',
		json_build_array('base'::regclass::oid))::text, true);
	ALTER TABLE m_own ADD COLUMN y int" >/dev/null
# The same as a role that is no superuser, on a table of its own.
sql src app "SET ROLE mallory; CREATE TABLE m_ctas AS SELECT g AS id, random() AS r
	FROM generate_series(1, 5) g" >/dev/null
# Rows after the statement arrive the ordinary way.
sql src app "INSERT INTO picks VALUES (100, 0.5, now())"
mark A

# --- B: columns whose default is evaluated per row ---
sql src app "ALTER TABLE base ADD COLUMN noise float8 DEFAULT random()"
sql src app "ALTER TABLE measures ADD COLUMN drawn float8 DEFAULT random()"
# A key-less table gets its key as a serial column, numbered in the
# source's physical order.
sql src app "UPDATE events SET what = what || '!' WHERE at_step = 3"
sql src app "ALTER TABLE events ADD COLUMN id serial PRIMARY KEY"
sql src app "ALTER TABLE picks ADD COLUMN n int GENERATED BY DEFAULT AS IDENTITY"
sql src app "ALTER TABLE fullpk ADD COLUMN r float8 DEFAULT random()"
# A stable default rewrites nothing: the rows it had keep one value.
sql src app "ALTER TABLE base ADD COLUMN stamped timestamptz DEFAULT now(),
	ADD COLUMN tagged text DEFAULT 'constant'"
sql src app "ALTER TABLE measures ADD COLUMN seen timestamptz DEFAULT now() - interval '1 day'"
# A later ALTER of that column adds nothing: the value a row got since
# stays (the column still has its missing value, and a new row version).
sql src app "UPDATE base SET stamped = '2000-01-01 00:00+00' WHERE id = 7"
sql src app "ALTER TABLE base ALTER COLUMN stamped SET NOT NULL"
# Numbered in the source's physical order, which CLUSTER (no change a
# replica sees) made the reverse of the replica's.
sql src app "CLUSTER alw USING alw_desc"
sql src app "ALTER TABLE alw ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY"
sql src app "UPDATE base SET name = 'renamed' WHERE id = 4"
# An UPDATE may give a GENERATED ALWAYS identity only a new value of its own.
sql src app "UPDATE idt SET id = DEFAULT WHERE v = 'b'"
mark B
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

# --- the journal holds the rows ---
P --json --headless diff creation A --stat
is "$RC" 0 "diff creation A" || diag "$OUT" "$ERR"
is "$(echo "$OUT" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	my %n = map { ("$_->{schema}.$_->{table}", $_->{inserted}) } @{$d->{tables}};
	print join(",", map { $n{"public.$_"} // 0 } qw(picks prepared_copy selected nodata wide))')" \
	"31,12,15,0,1" "diff lists the rows CREATE TABLE AS and SELECT INTO made as inserts"
is "$(echo "$OUT" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	print scalar grep { $_->{table} eq "base" } @{$d->{tables}}')" 0 \
	"a role cannot have the capture read out another's table as rewritten"
P --json --headless diff A B --stat
is "$(echo "$OUT" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	my %n = map { ("$_->{schema}.$_->{table}", $_->{updated}) } @{$d->{tables}};
	print join(",", map { $n{"public.$_"} // 0 } qw(base measures_eu measures_other events picks fullpk alw))')" \
	"30,13,27,25,0,10,10" "diff lists every row a volatile default rewrote as updated, in tables with a key"

# --- replay to A, to B, back to A, to B ---
P --json --headless replay --to A
is "$RC" 0 "replay --to A" || diag "$OUT" "$ERR"
snap rep app_replica >"$TEST_ROOT/rep.A"
same "$TEST_ROOT/snap.A" "$TEST_ROOT/rep.A" "at A the replica holds the source's rows, not new ones"
bound() { PGOPTIONS=$EXACT sql "$1" "$2" "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'readings_now'"; }
sleep 1
P --json --headless replay --to B
is "$RC" 0 "replay --to B" || diag "$OUT" "$ERR"
is "$(bound rep app_replica)" "$(bound src app)" "a computed partition bound is the one the source got"
snap rep app_replica >"$TEST_ROOT/rep.B"
same "$TEST_ROOT/snap.B" "$TEST_ROOT/rep.B" "at B every rewritten value is the source's"
is "$(sql rep app_replica "SELECT string_agg(pg_get_expr(adbin, adrelid), ', ' ORDER BY adnum) FROM pg_attrdef WHERE adrelid = 'base'::regclass")" \
	"random(), now(), 'constant'::text" "the replica's columns keep the source's defaults for later rows"
P --json --headless replay --to A
is "$RC" 0 "replay back to A" || diag "$OUT" "$ERR"
snap rep app_replica >"$TEST_ROOT/rep.A2"
same "$TEST_ROOT/snap.A" "$TEST_ROOT/rep.A2" "back at A"
P --json --headless replay --to B
snap rep app_replica >"$TEST_ROOT/rep.B2"
same "$TEST_ROOT/snap.B" "$TEST_ROOT/rep.B2" "at B again"

# --- what replay runs for them ---
P --headless log --op ddl
like "$OUT" 'CREATE TABLE prepared_copy AS EXECUTE twice' "log shows the statement as the client sent it"
unlike "$OUT" '"rows"' "the rows messages are not listed as DDL"

done_testing
