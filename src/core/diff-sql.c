/*
 * diff-sql.c: a diff as SQL, the statements that take a database in the
 * state at A to the state at B: deletes, then updates, then inserts, per
 * table, then the sequences, in one transaction.  Values are literals in
 * PostgreSQL's text form; every identifier is double-quoted.
 */
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "history.h"
#include "ident.h"

/* A value as a literal: NULL or '...' with quotes doubled. */
static void
quote_literal(FILE *out, const struct diff_col *c)
{
	uint32_t	i;

	if (c->kind == COL_NULL) {
		fputs("NULL", out);
		return;
	}
	fputc('\'', out);
	for (i = 0; i < c->len; i++) {
		if (c->val[i] == '\'')
			fputc('\'', out);
		fputc(c->val[i], out);
	}
	fputc('\'', out);
}

/* "schema"."name" */
static void
sql_table(FILE *out, const struct diff_table *t)
{
	ident_quote(out, t->schema);
	fputc('.', out);
	ident_quote(out, t->name);
}

/* WHERE on the key columns of v. */
static void
sql_where(FILE *out, const struct diff_vals *v)
{
	size_t	i;
	int	first = 1;

	fputs(" WHERE ", out);
	for (i = 0; i < v->ncols; i++) {
		if (!v->cols[i].is_key)
			continue;
		if (!first)
			fputs(" AND ", out);
		ident_quote(out, v->cols[i].name);
		if (v->cols[i].kind == COL_NULL)
			fputs(" IS NULL", out);
		else {
			fputs(" = ", out);
			quote_literal(out, &v->cols[i]);
		}
		first = 0;
	}
	if (first)
		fputs("false", out);
}

/* INSERT of the known columns of v. */
static void
sql_insert(FILE *out, const struct diff_table *t, const struct diff_vals *v)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < v->ncols; i++)
		if (v->cols[i].kind == COL_TOAST) {
			fputs("-- unknown, not in the journal: ", out);
			ident_quote(out, v->cols[i].name);
			fputs(" (left to its default)\n", out);
		}
	fputs("INSERT INTO ", out);
	sql_table(out, t);
	fputs(" (", out);
	for (i = 0; i < v->ncols; i++)
		if (v->cols[i].kind != COL_TOAST) {
			fputs(first ? "" : ", ", out);
			ident_quote(out, v->cols[i].name);
			first = 0;
		}
	fputs(") VALUES (", out);
	for (i = 0, first = 1; i < v->ncols; i++)
		if (v->cols[i].kind != COL_TOAST) {
			fputs(first ? "" : ", ", out);
			quote_literal(out, &v->cols[i]);
			first = 0;
		}
	fputs(");\n", out);
}

/* One phase (deletes, updates or inserts) of one table; r is room. */
static void
sql_phase(FILE *out, const struct diff *d, const struct diff_table *t,
    enum diff_op op, struct diff_row *r)
{
	size_t	k, c;
	int	first;

	if (op == DIFF_DELETED && t->truncated) {
		fputs("TRUNCATE ONLY ", out);
		sql_table(out, t);
		fputs(";\n", out);
		return;
	}
	/* Put back as they were: no net change, yet truncated again. */
	for (k = 0; op == DIFF_INSERTED && k < t->nkept; k++) {
		diff_row_load(d, t->kept[k], r);
		sql_insert(out, t, &r->after);
	}
	for (k = 0; k < t->nrows; k++) {
		if (!t->truncated && diff_entry_op(t->rows[k]) != op)
			continue;
		if (t->truncated && op != DIFF_INSERTED)
			continue;
		diff_row_load(d, t->rows[k], r);
		if (t->truncated) {
			/* Every row it holds at B came after the truncate. */
			if (r->after.present)
				sql_insert(out, t, &r->after);
			continue;
		}
		switch (op) {
		case DIFF_DELETED:
			fputs("DELETE FROM ", out);
			sql_table(out, t);
			sql_where(out, &r->before);
			fputs(";\n", out);
			break;
		case DIFF_UPDATED:
			fputs("UPDATE ", out);
			sql_table(out, t);
			fputs(" SET ", out);
			for (c = 0, first = 1; c < r->after.ncols; c++) {
				if (!r->changed[c])
					continue;
				fputs(first ? "" : ", ", out);
				ident_quote(out, r->after.cols[c].name);
				fputs(" = ", out);
				quote_literal(out, &r->after.cols[c]);
				first = 0;
			}
			sql_where(out, &r->before);
			fputs(";\n", out);
			break;
		case DIFF_INSERTED:
			sql_insert(out, t, &r->after);
			break;
		default:
			break;
		}
	}
}

/*
 * setval to the value sampled at B.  The regclass literal is the quoted
 * name with its single quotes doubled.
 */
static void
sql_setval(FILE *out, const struct seq_move *m)
{
	const char	*parts[2] = { m->schema, m->name };
	const char	*c;
	int		 i;

	/* Nothing of a name goes into a comment: a newline would end it. */
	if (m->to == NULL) {
		fputs("-- a sequence sampled at A is not in the sample at B\n",
		    out);
		return;
	}
	fputs("SELECT pg_catalog.setval('", out);
	for (i = 0; i < 2; i++) {
		fputs(i == 0 ? "\"" : ".\"", out);
		for (c = parts[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\'')
				fputc(*c, out);
			fputc(*c, out);
		}
		fputc('"', out);
	}
	fprintf(out, "', %lld, %s);\n", (long long)m->to->last_value,
	    m->to->is_called ? "true" : "false");
}

void
diff_write_sql(const struct diff *d, FILE *out)
{
	static const enum diff_op	 phases[] = { DIFF_DELETED,
	    DIFF_UPDATED, DIFF_INSERTED };
	struct diff_row			 r = { .op = DIFF_NONE };
	struct buf			 b;
	char				 lsnbuf[LSN_BUFSIZE];
	size_t				 i, p;

	buf_init(&b);
	fprintf(out, "-- pgtt diff %s", lsn_format(d->from, lsnbuf));
	fprintf(out, " %s\n", lsn_format(d->to, lsnbuf));
	for (i = 0; i < d->nddl; i++) {
		fprintf(out, "-- DDL at %s, not replayed: ",
		    lsn_format(d->ddl[i].lsn, lsnbuf));
		history_format_line(&b, d->ddl[i].sql, strlen(d->ddl[i].sql),
		    SIZE_MAX);
		fwrite(b.data, 1, b.len, out);
		buf_reset(&b);
		fputc('\n', out);
	}
	fputs("BEGIN;\n", out);
	for (p = 0; p < sizeof phases / sizeof phases[0]; p++)
		for (i = 0; i < d->ntables; i++)
			sql_phase(out, d, &d->tables[i], phases[p], &r);
	for (i = 0; i < d->nseqs; i++)
		sql_setval(out, &d->seqs[i]);
	fputs("COMMIT;\n", out);
	diff_row_done(&r);
	buf_done(&b);
}
