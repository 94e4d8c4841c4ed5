/*
 * fuzz_config.c: libFuzzer target for the config loader.  Any bytes must
 * either load or fail with PGTT_ECONFIG, and config_free must leave nothing
 * behind either way; ASan and LeakSanitizer judge the rest.  The
 * environment's DSN variables are cleared once so every input takes the
 * same path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 once;
	struct config	 cfg;
	struct pgtt_err	 e;
	int		 rc;

	if (!once) {
		unsetenv("PGTT_SOURCE_DSN");
		unsetenv("PGTT_REPLICA_DSN");
		once = 1;
	}
	rc = config_load_string(&cfg, (const char *)data, size, "fuzz.yaml",
	    &e);
	if (rc != 0 && rc != PGTT_ECONFIG)
		abort();
	config_free(&cfg);
	return 0;
}
