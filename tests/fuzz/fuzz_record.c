/*
 * fuzz_record.c: every journal record decoder on arbitrary bytes.  A
 * journal page can be damaged on disk; decoding it must fail cleanly,
 * never read out of bounds.  The first byte picks the decoder.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgtt_err	 err;
	void		*rec = NULL;

	if (size == 0)
		return 0;
	err_clear(&err);
	switch (data[0] % 5) {
	case 0:
		rec = record_decode_change(data + 1, size - 1, &err);
		break;
	case 1:
		rec = record_decode_txn(data + 1, size - 1, &err);
		break;
	case 2:
		rec = record_decode_relation(data + 1, size - 1, &err);
		break;
	case 3:
		rec = record_decode_checkpoint(data + 1, size - 1, &err);
		break;
	case 4:
		rec = record_decode_session(data + 1, size - 1, &err);
		break;
	}
	if (rec == NULL && err.code != PGTT_ECORRUPT)
		abort();
	free(rec);
	return 0;
}
