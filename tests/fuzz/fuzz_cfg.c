/* libFuzzer target: configuration file text through cfg_parse_buf. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "config/cfg.h"
#include "log/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERROR, false);

	return 0;
}


/* Every string field must stay NUL-terminated within its array. */
static void check_terminated(const struct cfg *cfg)
{
	if (!memchr(cfg->http_addr, 0, sizeof(cfg->http_addr)) ||
	    !memchr(cfg->database_url, 0, sizeof(cfg->database_url)) ||
	    !memchr(cfg->log_level, 0, sizeof(cfg->log_level)) ||
	    !memchr(cfg->jwt_secret, 0, sizeof(cfg->jwt_secret)) ||
	    !memchr(cfg->clock_offset, 0, sizeof(cfg->clock_offset)))
		__builtin_trap();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg cfg, before;
	char errbuf[256];
	unsigned nwarn;
	int err;

	cfg_defaults(&cfg);
	before = cfg;

	err = cfg_parse_buf(&cfg, data, size, &nwarn, errbuf, sizeof(errbuf));
	if (err) {
		/* a failed parse changes nothing and says why */
		if (memcmp(&cfg, &before, sizeof(cfg)) || !errbuf[0])
			__builtin_trap();
		return 0;
	}

	check_terminated(&cfg);
	if (cfg.http_port < 1 || cfg.http_port > 65535 ||
	    cfg.db_pool_size < 1 || cfg.db_pool_size > 64)
		__builtin_trap();

	(void)cfg_check(&cfg, errbuf, sizeof(errbuf));

	return 0;
}
