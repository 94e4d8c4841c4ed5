/*
 * keys.c: the one key table.  The help overlay and the man page's KEYS
 * section are both written from these rows, so they cannot drift from
 * what the keys do.  Rows of a pane's context come before "global" ones
 * for the same key.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

#define CTRL(c)	((c) & 0x1f)

const struct key_binding key_table[] = {
	{ '?', "?", "global", ACT_HELP, "show this help; any key closes it" },
	{ 'q', "q", "global", ACT_QUIT, "quit (the listener flushes first)" },
	{ 'D', "D", "global", ACT_NEXT_DATABASE,
	  "with source.databases: open the next database" },
	{ '\t', "Tab", "global", ACT_NEXT_PANE,
	  "focus the next or the previous pane" },
	{ KEY_BTAB, "Shift-Tab", "global", ACT_PREV_PANE,
	  "focus the next or the previous pane" },
	{ KEY_UP, "Up", "global", ACT_UP, "move up or down" },
	{ 'k', "k", "global", ACT_UP, "move up or down" },
	{ KEY_DOWN, "Down", "global", ACT_DOWN, "move up or down" },
	{ 'j', "j", "global", ACT_DOWN, "move up or down" },
	{ KEY_PPAGE, "PgUp", "global", ACT_PAGE_UP, "one page up or down" },
	{ KEY_NPAGE, "PgDn", "global", ACT_PAGE_DOWN, "one page up or down" },
	{ 'g', "g", "global", ACT_TOP, "go to the first line" },
	{ KEY_HOME, "Home", "global", ACT_TOP, "go to the first line" },
	{ 'G', "G", "global", ACT_BOTTOM,
	  "go to the last line; in the stream, follow new changes" },
	{ KEY_END, "End", "global", ACT_BOTTOM,
	  "go to the last line; in the stream, follow new changes" },
	{ '\n', "Enter", "stream", ACT_ENTER,
	  "show the selected change in the detail pane" },
	/* nonl(): Enter arrives as CR. */
	{ '\r', "Enter", "stream", ACT_ENTER, NULL },
	{ KEY_ENTER, "Enter", "stream", ACT_ENTER, NULL },
	{ 'h', "h", "stream", ACT_ROW_HISTORY,
	  "the selected change's row: its every version, oldest first" },
	{ 'A', "A", "stream", ACT_ALL_DATABASES,
	  "with source.databases: every database's changes in one commit "
	  "order, each named; again: this database's" },
	{ '\r', "Enter", "history", ACT_ENTER,
	  "show the selected version's columns, the changed ones "
	  "highlighted" },
	{ '/', "/", "global", ACT_FILTER,
	  "filter the stream by table and operation (empty: no filter)" },
	{ 'f', "f", "global", ACT_FOLLOW,
	  "follow new changes like tail -f, or stop following" },
	{ 'c', "c", "global", ACT_CHECKPOINT,
	  "new checkpoint after the selected change (at the newest one "
	  "when none is selected), in the active session" },
	{ 's', "s", "global", ACT_SESSION,
	  "new session, and switch to it" },
	{ '\r', "Enter", "sessions", ACT_ENTER,
	  "switch to the selected session" },
	{ '\r', "Enter", "checkpoints", ACT_ENTER,
	  "show the stream up to the selected checkpoint" },
	{ KEY_ENTER, "Enter", "checkpoints", ACT_ENTER, NULL },
	{ ' ', "Space", "checkpoints", ACT_MARK,
	  "mark or unmark the checkpoint, for d" },
	{ 'd', "d", "global", ACT_DIFF,
	  "diff between the two marked checkpoints: tables, then rows" },
	{ '\r', "Enter", "diff", ACT_ENTER,
	  "show or hide the rows of the selected table" },
	{ 'w', "w", "diff", ACT_WRITE_SQL,
	  "write the diff as SQL, A to B, to a file in the current "
	  "directory" },
	{ 'r', "r", "global", ACT_REPLAY,
	  "replay the replica to the selected checkpoint, or to after the "
	  "selected change: shows the plan, asks, then Esc stops it" },
	{ 'R', "R", "global", ACT_RESTORE,
	  "restore a new cluster to the selected checkpoint, or to after the "
	  "selected change: checks the recoverable window, asks, then runs "
	  "it and shows how to connect" },
	{ 'V', "V", "global", ACT_VERIFY,
	  "verify the selected checkpoint: replay the replica and restore a "
	  "scratch cluster to it in the background, then compare them table "
	  "by table" },
	{ 'B', "B", "global", ACT_BACKUP,
	  "take a base backup of the source for PITR, in the background" },
	{ ':', ":", "global", ACT_GOTO,
	  "go to a point: a checkpoint, an LSN, a time, head, creation" },
	{ KEY_ENTER, "Enter", "sessions", ACT_ENTER, NULL },
	{ CTRL('l'), "Ctrl-L", "global", ACT_REDRAW, "redraw the screen" },
	{ 27, "Esc", "global", ACT_CANCEL,
	  "close a dialog or the help; stop a search" },
	{ 0, NULL, NULL, ACT_NONE, NULL }
};

enum action
keys_lookup(const char *context, int key)
{
	const struct key_binding	*b;

	for (b = key_table; b->name != NULL; b++)
		if (b->key == key && strcmp(b->context, context) == 0)
			return b->action;
	for (b = key_table; b->name != NULL; b++)
		if (b->key == key && strcmp(b->context, "global") == 0)
			return b->action;
	return ACT_NONE;
}

/*
 * The keys of row b and of every later row with the same help text, as
 * "Up, k": one line per thing to do, in the help and the man page.  NULL
 * when an earlier row already named them.
 */
const char *
keys_names(const struct key_binding *b, char *buf, size_t size)
{
	const struct key_binding	*o;
	size_t				 len;

	if (b->help == NULL)
		return NULL;
	for (o = key_table; o != b; o++)
		if (o->help != NULL && strcmp(o->help, b->help) == 0 &&
		    strcmp(o->context, b->context) == 0)
			return NULL;
	snprintf(buf, size, "%s", b->name);
	for (o = b + 1; o->name != NULL; o++) {
		if (o->help == NULL || strcmp(o->help, b->help) != 0 ||
		    strcmp(o->context, b->context) != 0)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, ", %s", o->name);
	}
	return buf;
}

void
keys_print_mdoc(void)
{
	const struct key_binding	*b;
	char				 names[64];

	printf(".Bl -tag -width \"Shift-Tab\"\n");
	for (b = key_table; b->name != NULL; b++) {
		if (keys_names(b, names, sizeof names) == NULL)
			continue;
		printf(".It Ic %s\n", names);
		if (strcmp(b->context, "global") != 0)
			printf("In the %s pane: ", b->context);
		printf("%s.\n", b->help);
	}
	printf(".El\n");
}
