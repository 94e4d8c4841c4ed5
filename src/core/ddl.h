/*
 * ddl.h: what replay does with a captured DDL message.
 *
 * The DDL capture on the source (setup-ddl.c) emits one message each
 * time a top-level DDL statement completes: the command tag, the objects
 * it created, changed or dropped, the role it ran as, the settings it ran
 * under, whether it ran inside a function or DO block, and the client's
 * query string (once per transaction; later messages of the same string
 * leave it out).  That string may hold more than DDL: DML, DO blocks,
 * anything the client sent.
 *
 * Replay never runs the string as such.  PostgreSQL's own parser
 * (libpg_query), set up with the standard_conforming_strings the source
 * session had, splits it into statements exactly as the server did; each
 * message is then matched, in order, to the next statement whose command
 * tag is the one the event trigger reported, and only that statement runs,
 * when it is DDL of a kind on the allow-list.  Nothing else in the string
 * (DO, CALL, SELECT, COPY, SET ROLE, role and database statements) is ever
 * run; the rows such statements changed are in the journal already.
 */
#ifndef PGTT_DDL_H
#define PGTT_DDL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lsn.h"

/*
 * Settings that change what DDL text means, applied around it on replay
 * (search_path, which also does, is the message's own field).
 */
#define DDL_NSETTINGS	7
extern const char *const ddl_setting_names[DDL_NSETTINGS];

struct ddl_message {
	int	  version;	/* 2; 0: written by a pgtt before role capture */
	char	 *tag;		/* "ALTER TABLE" */
	char	 *search_path;	/* as the session that ran it had it */
	char	 *query;	/* NULL: the previous message's, same txn */
	char	 *role;		/* current_user on the source */
	char	 *ts;		/* statement_timestamp(): one per execution */
	int	  superuser;	/* that role was a superuser there */
	int	  nested;	/* ran inside a function or DO block */
	int	  temporary;	/* touched only temporary objects */
	int	  changed;	/* reported objects created, changed, dropped */
	char	 *objects;	/* "table public.t, index public.t_pkey" */
	/*
	 * CREATE TABLE AS, SELECT INTO: the table the source got, as a plain
	 * CREATE TABLE; its rows follow as row changes.  NULL when the
	 * capture did not describe it.
	 */
	char	 *create_table;
	/*
	 * CREATE TABLE ... PARTITION OF: the bound the source stored, as
	 * pg_get_expr prints it ("FOR VALUES FROM (...) TO (...)").
	 */
	char	 *partition_bound;
	/*
	 * ALTER TABLE ... ADD COLUMN with a stable default: "UPDATE ONLY t
	 * SET c = 'value'::type", one per table and column, giving the rows
	 * it had the value the source stored for them.
	 */
	char	**column_values;
	size_t	  ncolumn_values;
	char	 *settings[DDL_NSETTINGS];	/* NULL where not recorded */
};

/* Parse a DDL message's content; PGTT_ECORRUPT if it is not one. */
int	ddl_message_parse(const char *content, size_t len,
	    struct ddl_message *, struct pgtt_err *);
void	ddl_message_done(struct ddl_message *);
/* The standard_conforming_strings the statement was lexed with. */
int	ddl_message_scs(const struct ddl_message *);
/*
 * What a person reads for a DDL change: its query string, or for a later
 * message of the same string "TAG of OBJECTS".  malloc'd; NULL when the
 * content is not a DDL message.  *search_path, when not NULL, gets a
 * malloc'd copy of the search_path it ran with.
 */
char	*ddl_describe(const char *content, size_t len, char **search_path);
/* The same text, from a message already parsed; malloc'd. */
char	*ddl_message_text(const struct ddl_message *);

/* What a statement of a captured string is to replay. */
enum ddl_kind {
	DDL_OTHER,	/* not DDL replay runs: DML, DO, CALL, roles, ... */
	DDL_RUN,	/* schema DDL: run when a message matches it */
	DDL_PRIVILEGE,	/* GRANT, REVOKE, OWNER TO: matched, never run */
	DDL_REFUSED,	/* DDL replay cannot run safely (why says) */
};

struct ddl_statement {
	char		*text;		/* as the client wrote it, no ';' */
	const char	*node;		/* the parser's node name */
	char		 tag[64];	/* the command tag it reports */
	enum ddl_kind	 kind;
	int		 ends_txn;	/* COMMIT, ROLLBACK, PREPARE, ... */
	int		 with_owner;	/* ALTER TABLE, OWNER TO among others */
	int		 fills_table;	/* CREATE TABLE AS, SELECT INTO */
	const char	*why;		/* DDL_REFUSED: the reason */
};

/*
 * Split sql into statements with PostgreSQL's parser, lexing strings as
 * standard_conforming_strings says, and classify each.  PGTT_ECORRUPT
 * with the parser's message when sql does not parse.
 */
int	ddl_parse_statements(const char *sql, int standard_conforming_strings,
	    struct ddl_statement **, size_t *, struct pgtt_err *);
void	ddl_statements_free(struct ddl_statement *, size_t);

/*
 * Matching the messages of one source transaction to the statements of
 * their query strings.  ddl_match resets itself when (lsn, seq) is not
 * after the last message it saw, so a transaction replayed again starts
 * afresh.
 */
struct ddl_matcher {
	int			 run_privileges; /* GRANT, OWNER TO: run them */
	pgtt_lsn		 lsn;
	uint32_t		 seq;
	int			 started;
	char			*query;
	char			*ts;		/* of the execution matched */
	int			 scs;
	int			 unparsed;	/* the parser refused query */
	char			 parse_error[512];
	char			*built;		/* a statement made for a step */
	char			**after;	/* what runs after it */
	size_t			 nafter;
	struct ddl_statement	*st;
	size_t			 n, next;
};

enum ddl_action {
	DDL_ACTION_NONE,	/* nothing to run (no-op, temporary, GRANT) */
	DDL_ACTION_RUN,		/* run statement, as the message says */
	DDL_ACTION_REFUSE,	/* stop here: why says what and the way out */
};

struct ddl_step {
	enum ddl_action	 action;
	const char	*statement;	/* DDL_ACTION_RUN; lives in the matcher */
	const char	*search_path;	/* NULL: the message's */
	/*
	 * Run after it, as its role, under "pg_catalog, pg_temp"; they live
	 * in the matcher.
	 */
	char *const	*after;
	size_t		 nafter;
	char		 why[768];	/* DDL_ACTION_REFUSE */
};

void	ddl_matcher_init(struct ddl_matcher *);
void	ddl_matcher_done(struct ddl_matcher *);
/*
 * Decide what the message at (lsn, seq) runs: whatever cannot be told
 * for sure is a refusal, never an error, so --on-error decides.
 */
void	ddl_match(struct ddl_matcher *, pgtt_lsn, uint32_t seq,
	    const struct ddl_message *, struct ddl_step *);

#endif
