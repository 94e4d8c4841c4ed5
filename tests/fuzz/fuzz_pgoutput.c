/*
 * fuzz_pgoutput.c: the pgoutput decoder on arbitrary bytes.  The payload
 * of an XLogData message comes from the network; whatever it holds, the
 * decoder must refuse it cleanly, never read outside it.  The first byte
 * picks the protocol version (bits 0-1) and whether a Stream Start came
 * first (bit 2), since both change how the rest is read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/pgoutput.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether [p, p + n) lies inside [buf, buf + len). */
static int
inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t	*q = p;

	return q >= buf && q <= buf + len && n <= (size_t)(buf + len - q);
}

/*
 * The decoder never dereferences a value or a message's content, so
 * ASan cannot see a wrong one: check that each lies inside the input.
 */
static void
check_borrowed(const struct pgo_event *ev, const uint8_t *buf, size_t len)
{
	const struct pgo_tuple	*t[2] = { &ev->u.change.old,
				    &ev->u.change.new };
	const struct pgo_value	*v;
	uint16_t		 i;
	int			 k;

	if (ev->type == PGO_MESSAGE &&
	    !inside(ev->u.message.content, ev->u.message.len, buf, len))
		abort();
	if (ev->type != PGO_INSERT && ev->type != PGO_UPDATE &&
	    ev->type != PGO_DELETE)
		return;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < t[k]->ncols; i++) {
			v = &t[k]->values[i];
			if ((v->kind == 't' || v->kind == 'b') &&
			    !inside(v->data, v->len, buf, len))
				abort();
		}
	}
}

/* Decode once; anything but success or a clean refusal is a bug. */
static int
decode(struct pgo_decoder *d, const uint8_t *buf, size_t len)
{
	struct pgo_event	ev;
	struct pgtt_err		err;
	int			rc;

	err_clear(&err);
	rc = pgo_decode(d, buf, len, &ev, &err);
	if (rc == 0)
		check_borrowed(&ev, buf, len);
	else if (rc != PGTT_ECORRUPT || err.code != rc || err.msg[0] == '\0')
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 start[] = { 'S', 0, 0, 0x03, 0x09, 1 };
	struct pgo_decoder	*d;
	int			 rc;

	if (size == 0)
		return 0;
	d = pgo_decoder_new(1 + (data[0] & 3));
	if ((data[0] & 4) && decode(d, start, sizeof start) != 0)
		abort();
	rc = decode(d, data + 1, size - 1);

	/*
	 * Again, over the scratch arrays the first call left behind.  Only
	 * S and E change the state, and neither depends on it, so the
	 * answer must not change.
	 */
	if (decode(d, data + 1, size - 1) != rc)
		abort();
	pgo_decoder_free(d);
	return 0;
}
