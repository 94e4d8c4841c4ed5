/*
 * apply-sql.h: the SQL text of the statements replay prepares for row
 * changes and truncates, built from a relation version and the role each
 * column plays in the statement.  No connection here, so the text can be
 * tested on its own (tests/unit/test_apply_sql.c).
 *
 * Parameters come first for every set value in column order, then for
 * every identifying value; no value is ever spliced into the text.
 */
#ifndef PGTT_APPLY_SQL_H
#define PGTT_APPLY_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "record.h"

#define ROWSQL_FIRST_USER_OID	16384	/* FirstNormalObjectId */

/*
 * The roles a column plays in one statement, one letter each in the key:
 *   v  its value is set (insert, update SET)
 *   w  it identifies the row, with a value; n  ... and is NULL
 *   b  both set and identifying (w); m  both, identifying NULL
 *   -  not used
 */
enum col_role {
	ROLE_NONE = '-',
	ROLE_SET = 'v',
	ROLE_WHERE = 'w',
	ROLE_WHERE_NULL = 'n',
	ROLE_BOTH = 'b',
	ROLE_BOTH_NULL = 'm',
};

struct rowsql {
	/*
	 * Set while writing the body of a function of the table's owner
	 * (apply.c, routed rows): identifiers' % are doubled and user-typed
	 * values are cast to %N$s, the type of typecols[N - 1], which the
	 * server fills in.
	 */
	int		 template;
	const char	**typecols;	/* grows; the caller frees it */
	size_t		 ntypecols;
};

/* Whether a role sets the column, or identifies the row by a value. */
int	rowsql_sets(int role);
int	rowsql_where(int role);

/* Column i of t; one the tuple does not hold is an unchanged TOAST value. */
const struct pgtt_col *rowsql_col(const struct pgtt_tuple *, uint16_t i);
int	rowsql_same_value(const struct pgtt_col *, const struct pgtt_col *);

/*
 * The role of each column of rel (one letter each, NUL-terminated,
 * malloc'd into *roles) for op, setting the values of set (NULL: none)
 * and finding the row by the identity columns of where (NULL: insert).
 * An unchanged TOASTed value is not set; in the identity it is taken
 * from fallback (the other image of the row) when it has it.  always
 * flags identity columns GENERATED ALWAYS, which an update never sets.
 * *roles is NULL when an update would set nothing.  PGTT_EUSAGE when the
 * row cannot be found (a key value missing, no identity columns).
 */
int	rowsql_roles(const struct pgtt_change *, const struct pgtt_relation *,
	    enum change_kind op, const struct pgtt_tuple *set,
	    const struct pgtt_tuple *where, const struct pgtt_tuple *fallback,
	    const uint8_t *always, char **roles, struct pgtt_err *);
/* The statement for op on rel with these roles, NUL-terminated in b. */
void	rowsql_statement(struct rowsql *, struct buf *b, enum change_kind op,
	    const struct pgtt_relation *, const char *roles);
/*
 * A statement for many rows at once (replay's net mode): op on rel for
 * every row of the JSON array of objects in $1, each holding the row's
 * columns by name as json_populate_recordset reads them.  An insert sets
 * every column; an update finds rows by the key columns and sets the
 * others but those always flags (identity GENERATED ALWAYS); a delete
 * finds rows by the key columns.  NUL-terminated in b; the number of
 * columns it sets, 0 for an update with nothing to set.
 */
int	rowsql_set_statement(struct rowsql *, struct buf *b, enum change_kind op,
	    const struct pgtt_relation *, const uint8_t *is_key,
	    const uint8_t *always);
/* TRUNCATE of rel, CASCADE (apply-sql.c says why); NUL-terminated in b. */
void	rowsql_truncate(struct rowsql *, struct buf *b,
	    const struct pgtt_relation *, int restart_identity);

/* Append text to b; an identifier quoted; "schema"."name". */
void	rowsql_add(struct buf *, const char *);
void	rowsql_ident(struct rowsql *, struct buf *, const char *);
void	rowsql_table(struct rowsql *, struct buf *,
	    const struct pgtt_relation *);

#endif
