#!/usr/bin/env bash
# Replay gives no role anything on the replica it did not have on the
# source.  A role with nothing but CONNECT and CREATE on public tries what
# an adversarial test found: a DO block riding along DDL, a statement a
# splitter sees and the server does not (standard_conforming_strings off),
# and a DO block whose rows are journaled and would be applied twice.
# Replay must run none of it, stop at DDL run inside code, run DDL as the
# role that ran it, and refuse it where that role does not exist; ordinary
# multi-statement migrations still replay exactly.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5661
pg_start other 5662
sql src postgres "CREATE DATABASE app"
sql src postgres "CREATE DATABASE app_replica"
sql other postgres "CREATE DATABASE app_replica"
sql src postgres "CREATE ROLE eve LOGIN"
sql src app "GRANT CREATE ON SCHEMA public TO eve;
	CREATE TABLE acct (id int PRIMARY KEY, bal int);
	INSERT INTO acct VALUES (1, 0);
	CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 5) i"

W=$TEST_ROOT/w
mkdir -p "$W"
# The README's setup: the replica database lives on the source's cluster.
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn src app_replica)\"" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
eve() {
	PGOPTIONS="-c client_min_messages=error" psql -X -q -A -t "host=$TEST_ROOT/src port=5661 user=eve dbname=app" "$@"
}

# --- 1. a DO block riding along DDL ---
PWNED=$TEST_ROOT/pwned.txt
eve -c "CREATE TEMP TABLE tmp_e (i int); DO \$\$ BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''id > $PWNED'''; END IF; END \$\$;"
ok $? "as eve on the source, the DO block is harmless"
ok "$([ ! -e "$PWNED" ]; echo $?)" "and wrote nothing there"

# --- 2. a statement the splitter sees and the server does not ---
eve -c "CREATE TABLE eve_t (id int PRIMARY KEY)" -c "SET standard_conforming_strings = off" \
	-c "CREATE TEMP TABLE q (i int); COMMENT ON TABLE q IS 'harmless \\'; ALTER ROLE eve SUPERUSER; -- ';" \
	-c "COMMENT ON TABLE eve_t IS 'also harmless \\'; ALTER ROLE eve SUPERUSER; -- ';"
ok $? "as eve, comments with backslashes under standard_conforming_strings = off"
is "$(sql src app "SELECT rolsuper FROM pg_roles WHERE rolname = 'eve'")" f "eve is no superuser on the source"

# --- 3. data applied twice ---
sql src app "CREATE TABLE cfg (k text PRIMARY KEY, v int); DO \$\$ BEGIN INSERT INTO cfg VALUES ('a', 1); UPDATE acct SET bal = bal + 100 WHERE id = 1; END \$\$;"

# --- an ordinary migration, as one string and in a transaction ---
sql src app "ALTER TABLE t ADD COLUMN c int; UPDATE t SET c = id * 10; CREATE INDEX t_c ON t (c)"
sql src app "BEGIN; ALTER TABLE t ADD COLUMN d text DEFAULT 'x'; UPDATE t SET d = 'y' WHERE id = 2; GRANT SELECT ON t TO eve; COMMIT"
sql src app "CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v)"
eve -c "CREATE FUNCTION eve_def() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'"

# --- a trigger that fires during replay's own row writes ---
# Enabled ALWAYS, it fires under session_replication_role = replica too:
# it must run as its table's owner, as it does on the source.
eve -c "CREATE TYPE mood_e AS ENUM ('up', 'down')"
eve -c "CREATE TABLE eve_log (i int PRIMARY KEY);
	CREATE FUNCTION eve_trg() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
	  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
	    EXECUTE 'ALTER ROLE eve SUPERUSER'; END IF; RETURN NEW; END \$\$;
	CREATE TRIGGER eve_t BEFORE INSERT ON eve_log FOR EACH ROW EXECUTE FUNCTION eve_trg();
	ALTER TABLE eve_log ENABLE ALWAYS TRIGGER eve_t;
	INSERT INTO eve_log VALUES (1)"
ok $? "as eve, a table with an ALWAYS trigger, written in the same transaction"
eve -c "INSERT INTO eve_log VALUES (2)"
# --- a DDL message forged with pg_logical_emit_message(), which any role
# may call: under the plain prefix it must be just a message ---
FORGED='{"v":2,"tag":"CREATE FUNCTION","role":"postgres","superuser":true,"nested":false,"search_path":"public","objects":[{"tag":"CREATE FUNCTION","type":"function","identity":"public.forged()"}],"query":"CREATE FUNCTION forged() RETURNS int LANGUAGE sql SECURITY DEFINER AS $f$SELECT 1$f$"}'
eve -c "SELECT pg_logical_emit_message(true, 'pgtt.ddl', '$FORGED')" >/dev/null
ok $? "as eve, a message forged under the prefix pgtt.ddl"
# --- code a replayed statement runs cannot RESET ROLE back to the
# replay role: on the source it changes nothing, on the replica it must
# not either ---
eve -c "CREATE FUNCTION eve_reset() RETURNS int LANGUAGE plpgsql AS \$\$ BEGIN
	  BEGIN EXECUTE 'RESET ROLE'; EXCEPTION WHEN OTHERS THEN NULL; END;
	  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
	    EXECUTE 'ALTER ROLE eve SUPERUSER'; END IF;
	  RETURN 1; END \$\$" -c "CREATE TABLE eve_ctas AS SELECT eve_reset() AS one"
ok $? "as eve, CREATE TABLE AS calling a function that tries RESET ROLE"
# Code that runs while replay writes rows of eve's tables: a CHECK
# constraint and a trigger enabled ALWAYS, each calling that function,
# on tables written by INSERT, UPDATE, DELETE and TRUNCATE.
eve -c "CREATE TABLE eve_chk (id int PRIMARY KEY CHECK (eve_reset() = 1))" -c "INSERT INTO eve_chk VALUES (1)"
ok $? "as eve, a table whose CHECK constraint tries RESET ROLE"
eve -c "CREATE FUNCTION eve_trg_reset() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM eve_reset(); RETURN NEW; END \$\$;
	CREATE TABLE eve_log2 (i int PRIMARY KEY, m mood_e);
	CREATE TRIGGER eve_t2 BEFORE INSERT OR UPDATE ON eve_log2 FOR EACH ROW EXECUTE FUNCTION eve_trg_reset();
	ALTER TABLE eve_log2 ENABLE ALWAYS TRIGGER eve_t2;
	CREATE TABLE eve_trunc (i int);
	CREATE TRIGGER eve_t3 BEFORE TRUNCATE ON eve_trunc FOR EACH STATEMENT EXECUTE FUNCTION eve_trg_reset();
	ALTER TABLE eve_trunc ENABLE ALWAYS TRIGGER eve_t3" \
	-c "INSERT INTO eve_log2 VALUES (1, 'up'), (2, 'down'), (4, NULL)" -c "UPDATE eve_log2 SET i = 3, m = 'up' WHERE i = 2" \
	-c "DELETE FROM eve_log2 WHERE i = 4" -c "INSERT INTO eve_trunc VALUES (1)" -c "TRUNCATE eve_trunc"
ok $? "as eve, tables whose ALWAYS triggers try RESET ROLE"
eve -c "CREATE TABLE \"eve%t\" (id int PRIMARY KEY, \"v%s\" mood_e, w text)" \
	-c "INSERT INTO \"eve%t\" VALUES (1, 'up', '%s%%'), (2, NULL, NULL)" -c "UPDATE \"eve%t\" SET \"v%s\" = 'down' WHERE id = 2"
ok $? "as eve, a table and a column whose names hold %"
# pgtt.capture = off is setup's own switch: another role setting it
# hides nothing.
eve -c "SET pgtt.capture = off" -c "CREATE TABLE eve_hidden (id int PRIMARY KEY)"
check_ok "checkpoint safe" -c "$W/config.yaml" --headless checkpoint create safe

# snap CLUSTER DB: the tables and comments replay must reproduce.
snap() {
	for tbl in acct t cfg eve_t eve_log eve_chk eve_log2 eve_trunc '"eve%t"'; do
		echo "== $tbl"
		psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY (SELECT * FROM $tbl ORDER BY 1) TO STDOUT"
	done
	psql -X -q -A -t "$(pg_dsn "$1" "$2")" -c "SELECT obj_description('eve_t'::regclass, 'pg_class')"
	psql -X -q -A -t "$(pg_dsn "$1" "$2")" -c "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 't'"
}
snap src app >"$TEST_ROOT/snap.safe"

check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to safe
is "$RC" 0 "replay to the checkpoint exits 0"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
is "$(echo "$OUT" | json_get privileges)" true "every role exists here: the baseline keeps its owners and grants"
ok "$([ ! -e "$PWNED" ]; echo $?)" "the DO block riding along DDL did not run on the replica"
is "$(sql src app "SELECT rolsuper FROM pg_roles WHERE rolname = 'eve'")" f \
	"eve is not superuser after replay: not by an ALTER ROLE inside a string literal, her trigger or RESET ROLE"
snap src app_replica >"$TEST_ROOT/replica.safe"
if cmp -s "$TEST_ROOT/snap.safe" "$TEST_ROOT/replica.safe"; then
	ok 0 "the replica equals the source: no doubled rows, the migration and comments exact"
else
	ok 1 "the replica equals the source: no doubled rows, the migration and comments exact"
	diag "$(diff "$TEST_ROOT/snap.safe" "$TEST_ROOT/replica.safe" | head -20)"
fi
is "$(sql src app_replica "SELECT tableowner || ':' || (SELECT count(*) FROM eve_ctas) FROM pg_tables WHERE tablename = 'eve_ctas'")" "eve:1" \
	"her CREATE TABLE AS replayed as eve"
is "$(sql src app_replica "SELECT count(*) FROM pg_proc WHERE proname LIKE 'run\_as\_%'")" 0 \
	"the function replay ran it in is gone"
is "$(sql src app_replica "SELECT count(*) FROM pg_tables WHERE tablename = 'eve_hidden'")" 1 \
	"a role that sets pgtt.capture = off hides no DDL"
is "$(sql src app_replica "SELECT count(*) FROM pg_proc WHERE proname = 'forged'")" 0 \
	"the forged DDL message did not run on the replica"
is "$(sql src app_replica "SELECT proowner::regrole FROM pg_proc WHERE proname = 'eve_def'")" eve \
	"eve's SECURITY DEFINER function is owned by eve on the replica, not by the replay role"
is "$(sql src app_replica "SELECT tableowner FROM pg_tables WHERE tablename = 'eve_t'")" eve \
	"eve's table is eve's on the replica"
is "$(sql src app_replica "SELECT has_table_privilege('eve', 't', 'SELECT')")" t \
	"a GRANT after setup is replayed where the baseline kept its grants"

# --- 4. DDL inside a DO block stops replay, with the way out ---
sql src app "DO \$\$ BEGIN CREATE TABLE from_do (id int PRIMARY KEY); END \$\$"
sql src app "UPDATE acct SET bal = 7"
check_ok "checkpoint after_do" -c "$W/config.yaml" --headless checkpoint create after_do
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to after_do
is "$RC" 1 "replay stops at DDL run inside a DO block"
like "$(echo "$OUT" | json_get first_error)" 'CREATE TABLE of table public.from_do.*inside a function, procedure or DO block.*--on-error skip' \
	"and says which object, why and the way out"
is "$(sql src app_replica "SELECT bal FROM acct")" 100 "the replica stays before that transaction"
P --json --headless replay --to after_do --on-error skip
is "$RC" 0 "--on-error skip goes past it"
is "$(sql src app_replica "SELECT bal FROM acct")" 7 "and applies what follows"


# --- code that leaves state in replay's session for the replay role ---
# A search_path that finds her now() first: replay's own statements
# name everything in full, and the path is restored when her code ends.
eve -c "CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS \$\$ BEGIN
	  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
	    EXECUTE 'ALTER ROLE eve SUPERUSER'; END IF;
	  RETURN pg_catalog.now(); END \$\$;
	CREATE FUNCTION eve_path() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
	  PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', false);
	  RETURN NEW; END \$\$;
	CREATE TABLE eve_paths (i int PRIMARY KEY);
	CREATE TRIGGER eve_t4 BEFORE INSERT ON eve_paths FOR EACH ROW EXECUTE FUNCTION eve_path();
	ALTER TABLE eve_paths ENABLE ALWAYS TRIGGER eve_t4" -c "INSERT INTO eve_paths VALUES (1)"
ok $? "as eve, a trigger that leaves a search_path behind"
eve -c "INSERT INTO eve_t VALUES (42)"
check_ok "checkpoint path" -c "$W/config.yaml" --headless checkpoint create path
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to path
is "$RC" 0 "replay goes past it" || diag "$OUT" "$ERR"
is "$(sql src app_replica "SELECT count(*) FROM eve_paths") $(sql src app_replica "SELECT count(*) FROM eve_t WHERE id = 42")" "1 1" \
	"and writes her rows, and the rows after them"
is "$(sql src app "SELECT rolsuper FROM pg_roles WHERE rolname = 'eve'")" f \
	"eve is no superuser: her now() did not run as the replay role"

# A prepared statement that takes the name of replay's own.
eve -c "CREATE FUNCTION eve_prep() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
	  BEGIN EXECUTE 'DEALLOCATE pgtt_position'; EXCEPTION WHEN OTHERS THEN NULL; END;
	  BEGIN EXECUTE 'PREPARE pgtt_position(text, text) AS SELECT public.now()';
	  EXCEPTION WHEN OTHERS THEN NULL; END;
	  RETURN NEW; END \$\$;
	CREATE TABLE eve_leaves (i int PRIMARY KEY);
	CREATE TRIGGER eve_t5 BEFORE INSERT ON eve_leaves FOR EACH ROW EXECUTE FUNCTION eve_prep();
	ALTER TABLE eve_leaves ENABLE ALWAYS TRIGGER eve_t5" -c "INSERT INTO eve_leaves VALUES (1)"
ok $? "as eve, a trigger that prepares a statement named as replay's"
check_ok "checkpoint left" -c "$W/config.yaml" --headless checkpoint create left
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to left
is "$RC" 1 "replay stops at a row whose trigger left a prepared statement behind"
like "$(echo "$OUT" | json_get first_error)" 'insert of public.eve_leaves.*left a prepared statement in its session' \
	"and says so"
is "$(sql src app "SELECT rolsuper FROM pg_roles WHERE rolname = 'eve'")" f \
	"eve is no superuser: her pgtt_position did not run as the replay role"

# --- 5. a replica where the role does not exist: refused, not escalated ---
W2=$TEST_ROOT/w2
mkdir -p "$W2"
cp -r "$W/data" "$W2/data"
write_config "$W2/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn other app_replica)\""
run_pgtt -c "$W2/config.yaml" --json --headless replay --to safe
is "$RC" 1 "on a replica without eve, eve's DDL is refused"
is "$(echo "$OUT" | json_get privileges)" false "the baseline was restored there without owners and grants"
like "$(echo "$OUT" | json_get first_error)" 'role "eve" does not exist' "with the server's reason"
is "$(sql other app_replica "SELECT count(*) FROM pg_tables WHERE tablename = 'eve_t'")" 0 \
	"eve's table was not created there as another role"

done_testing
