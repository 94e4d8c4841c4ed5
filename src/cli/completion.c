/*
 * completion.c: bash completion for pgtt, written from the command table
 * that --help prints, so the two never disagree.  A command's options and
 * subcommands are read from its usage line: "--name" is an option, one
 * followed by a lowercase list ("--format text|json|sql") takes one of
 * those words, one followed by POINT or S takes a checkpoint or a
 * session name, which the script asks pgtt for when it completes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Words of a usage line, without brackets and bars. */
static const char *
next_word(const char *p, char *out, size_t size)
{
	size_t	n = 0;

	while (*p != '\0' && strchr(" []|", *p) != NULL)
		p++;
	if (*p == '\0')
		return NULL;
	while (*p != '\0' && strchr(" []", *p) == NULL) {
		if (n + 1 < size)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

static int
is_placeholder(const char *w)
{
	return isupper((unsigned char)w[0]);
}

/* Append " w" to words unless it is there already. */
static void
add_word(char *words, size_t size, const char *w)
{
	char	padded[80], have[600];

	snprintf(padded, sizeof padded, " %s ", w);
	snprintf(have, sizeof have, "%s ", words);
	if (strstr(have, padded) != NULL)
		return;
	strncat(words, " ", size - strlen(words) - 1);
	strncat(words, w, size - strlen(words) - 1);
}

/* The case arm of one command: its words, and what its options take. */
static void
put_command(FILE *out, const struct cli_command *c)
{
	const char	*p = c->args;
	char		 w[64], opt[64] = "", words[512] = "", values[1024] = "";

	while ((p = next_word(p, w, sizeof w)) != NULL) {
		if (strncmp(w, "--", 2) == 0) {
			/* "[--stat]": a flag; "--to POINT": takes a value. */
			snprintf(opt, sizeof opt, "%s", *p == ' ' &&
			    p[1] != '[' && p[1] != '|' ? w : "");
			add_word(words, sizeof words, w);
			continue;
		}
		if (opt[0] != '\0') {
			/* The value of the option just read. */
			char	arm[256];

			snprintf(arm, sizeof arm, "\t\t%s) _pgtt_value %s; "
			    "return ;;\n", opt, is_placeholder(w) ? w : "");
			if (!is_placeholder(w)) {
				char	*bar;

				/* "text|json|sql": p is past it, with bars. */
				snprintf(arm, sizeof arm, "\t\t%s) _pgtt_words "
				    "'%s'; return ;;\n", opt, w);
				while ((bar = strchr(arm, '|')) != NULL)
					*bar = ' ';
			}
			if (strstr(values, arm) == NULL)
				strncat(values, arm, sizeof values -
				    strlen(values) - 1);
			opt[0] = '\0';
			continue;
		}
		if (!is_placeholder(w))
			add_word(words, sizeof words, w);
	}
	fprintf(out, "\t%s)\n\t\tcase $prev in\n%s\t\tesac\n"
	    "\t\twords=\"%s\"\n", cli_command_name(c), values,
	    words + (words[0] == ' '));
	/* Bare points: diff A B, verify A. */
	if (strncmp(c->args, "POINT", 5) == 0)
		fputs("\t\t[[ $cur != -* ]] && _pgtt_value POINT && return\n",
		    out);
	fputs("\t\t;;\n", out);
}

void
cli_print_bash_completion(FILE *out)
{
	const struct cli_command	*c;

	fputs("# bash completion for pgtt, written by pgtt "
	    "--bash-completion from its command table.\n"
	    "_pgtt_value() {\n"
	    "\tlocal kind=$1 cfg=() i\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t-c|--config) cfg+=(-c \"${COMP_WORDS[i+1]}\") ;;\n"
	    "\t\t-d|--database) cfg+=(-d \"${COMP_WORDS[i+1]}\") ;;\n"
	    "\t\tesac\n"
	    "\tdone\n"
	    "\tcase $kind in\n"
	    "\tPOINT) COMPREPLY=($(compgen -W \"$({ printf '%s\\n' now head "
	    "creation migration\n"
	    "\t\tpgtt \"${cfg[@]}\" --json checkpoint list --all 2>/dev/null |\n"
	    "\t\tsed -n 's/.*\"name\":\"\\([^\"]*\\)\".*/\\1/p'; } | "
	    "sort -u)\" -- \"$cur\")) ;;\n"
	    "\tS) COMPREPLY=($(compgen -W \"$(pgtt \"${cfg[@]}\" --json session "
	    "list 2>/dev/null |\n"
	    "\t\tsed -n 's/.*\"name\":\"\\([^\"]*\\)\".*/\\1/p')\" -- "
	    "\"$cur\")) ;;\n"
	    "\tDIR|FILE) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	    "\t*) COMPREPLY=() ;;\n"
	    "\tesac\n"
	    "}\n"
	    "_pgtt_words() {\n"
	    "\tCOMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
	    "}\n"
	    "_pgtt() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	    "prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tlocal globals=\"-c --config -d --database --json -v --verbose "
	    "-q --quiet "
	    "--headless --help --version\"\n"
	    "\tlocal cmd= words= i\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t-c|--config|-d|--database) ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n"
	    "\t\tesac\n"
	    "\tdone\n"
	    "\tcase $prev in\n"
	    "\t-c|--config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	    "\tesac\n"
	    "\tcase $cmd in\n"
	    "\t\"\")\n"
	    "\t\twords=\"", out);
	for (c = cli_commands; c < cli_commands + VERB_COUNT; c++)
		fprintf(out, "%s%s", c == cli_commands ? "" : " ", cli_command_name(c));
	fputs("\"\n\t\t;;\n", out);
	for (c = cli_commands; c < cli_commands + VERB_COUNT; c++)
		put_command(out, c);
	fputs("\tesac\n"
	    "\t[[ -n ${COMPREPLY[*]} ]] && return\n"
	    "\tCOMPREPLY=($(compgen -W \"$words $globals\" -- \"$cur\"))\n"
	    "}\n"
	    "complete -F _pgtt pgtt\n", out);
}
