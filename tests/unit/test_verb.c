/*
 * test_verb.c: the verb table and what every verb's context offers: a
 * progress callback told the verb, phase and counts; a stop flag read
 * through one function; the words each face shows for a verb's progress.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/replay.h"
#include "core/restore.h"
#include "core/verb.h"
#include "core/verify.h"

static void
table_names_are_unique(void **state)
{
	int	a, b;

	(void)state;
	for (a = 0; a < VERB_COUNT; a++) {
		assert_non_null(verb_table[a].name);
		for (b = a + 1; b < VERB_COUNT; b++)
			assert_string_not_equal(verb_table[a].name,
			    verb_table[b].name);
	}
	/* What the faces rely on: replay alone of the jobs may be stopped. */
	assert_true(verb_table[VERB_REPLAY].flags & VERB_CANCELLABLE);
	assert_false(verb_table[VERB_RESTORE].flags & VERB_CANCELLABLE);
	assert_false(verb_table[VERB_DIFF].flags & VERB_WRITES_JOURNAL);
	assert_true(verb_table[VERB_BACKUP].flags & VERB_LONG);
}

struct seen {
	int			calls;
	struct verb_progress	last;
};

static void
record(void *arg, const struct verb_progress *p)
{
	struct seen	*s = arg;

	s->calls++;
	s->last = *p;
}

static void
progress_reaches_the_callback(void **state)
{
	struct verb_ctx	vc;
	struct seen	s;

	(void)state;
	memset(&vc, 0, sizeof vc);
	memset(&s, 0, sizeof s);
	/* No callback: nothing to call, nothing breaks. */
	verb_progress_to(&vc, VERB_REPLAY, REPLAY_PHASE_APPLYING, 1, 2);
	vc.progress = record;
	vc.arg = &s;
	verb_progress_to(&vc, VERB_RESTORE, RESTORE_PHASE_COPYING_WAL, 45,
	    100);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last.verb, VERB_RESTORE);
	assert_int_equal(s.last.phase, RESTORE_PHASE_COPYING_WAL);
	assert_int_equal(s.last.done, 45);
	assert_int_equal(s.last.total, 100);
}

static void
stop_flag(void **state)
{
	struct verb_ctx	vc, quiet;
	atomic_int	cancel = 0;
	struct seen	s;

	(void)state;
	memset(&vc, 0, sizeof vc);
	assert_false(verb_stop_requested(&vc));
	vc.cancel = &cancel;
	vc.progress = record;
	vc.arg = &s;
	assert_false(verb_stop_requested(&vc));
	atomic_store(&cancel, 1);
	assert_true(verb_stop_requested(&vc));
	/* A verb run inside another neither stops nor reports on its own. */
	quiet = verb_ctx_quiet(&vc);
	assert_false(verb_stop_requested(&quiet));
	assert_null(quiet.progress);
}

static void
words(void **state)
{
	struct verb_progress	p;
	char			buf[128];

	(void)state;
	p = (struct verb_progress){ VERB_REPLAY, REPLAY_PHASE_APPLYING, 40,
	    100 };
	verb_progress_words(&p, buf, sizeof buf);
	assert_string_equal(buf, "applying 40/100");
	p = (struct verb_progress){ VERB_RESTORE, RESTORE_PHASE_COPYING_WAL,
	    45, 100 };
	verb_progress_words(&p, buf, sizeof buf);
	assert_string_equal(buf, "45% copying WAL");
	p = (struct verb_progress){ VERB_BACKUP, 0, 2048, 4096 };
	verb_progress_words(&p, buf, sizeof buf);
	assert_string_equal(buf, "50%, 2 MB");
	/* pg_basebackup has not said its total yet. */
	p = (struct verb_progress){ VERB_BACKUP, 0, 2048, 0 };
	verb_progress_words(&p, buf, sizeof buf);
	assert_string_equal(buf, "0%, 2 MB");
	p = (struct verb_progress){ VERB_VERIFY, VERIFY_PHASE_COMPARING, 0,
	    0 };
	verb_progress_words(&p, buf, sizeof buf);
	assert_string_equal(buf, "comparing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_names_are_unique),
		cmocka_unit_test(progress_reaches_the_callback),
		cmocka_unit_test(stop_flag),
		cmocka_unit_test(words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
