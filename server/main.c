/* openseat: the server, and the operator's commands, in one binary. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include <re.h>
#define LOG_MODULE "main"
#include "log/log.h"
#include "log/log_out.h"
#include "app.h"
#include "cli/cli.h"
#include "media/timerwheel.h"

static struct app app;


static void usage(void)
{
	fputs("usage: openseat [-c FILE] [COMMAND ...]\n"
	      "\n"
	      "commands:\n"
	      "  serve                   run the server (default)\n"
	      "  migrate                 apply database migrations\n"
	      "  tenant create --code C --name N [--seats N]\n"
	      "                [--admin-user U --admin-password P]\n"
	      "  user create --tenant C --username U --password P\n"
	      "              --role agent|supervisor|admin "
	      "[--display-name N]\n"
	      "  operator create --username U --password P\n"
	      "  seed-demo               create the demo tenant "
	      "(idempotent)\n"
	      "  import-regions [DIR] [--if-empty]\n"
	      "                          load number attribution data\n"
	      "\n"
	      "Settings come from FILE (see config/openseat.conf.example)\n"
	      "and from environment variables OPENSEAT_<KEY>.\n", stderr);
}


static void on_signal(int sig)
{
	log_info("signal %d: shutting down", sig);
	app_stop(&app);
}


static int serve(void)
{
	int err;

	/* a file over the size limit fails that write with EFBIG (reported
	 * for the recording it belongs to) instead of killing the server */
	(void)signal(SIGXFSZ, SIG_IGN);

	/* from here on, a reader that stops reading stderr never stops the
	 * loop: lines wait in a buffer (or are dropped and counted) */
	if (log_out_start(STDERR_FILENO))
		log_warn("log lines are written synchronously");

	err = app_start(&app);
	if (err) {
		log_error("start-up failed: %m", err);
		app_close(&app);
		log_out_stop();
		return err;
	}

	err = re_main(on_signal);
	if (!err)
		err = app.exit_err;
	app_close(&app);
	log_info("stopped");
	log_out_stop();

	return err;
}


static int setup_log(const struct cfg *cfg)
{
	enum log_level lvl = LOG_LVL_INFO;

	if (log_level_parse(cfg->log_level, &lvl))
		return EINVAL;

	log_setup(lvl, strcmp(cfg->log_format, "text") != 0);

	return 0;
}


static int run(int argc, char *argv[])
{
	const char *cfgpath = NULL;
	char errbuf[256] = "";
	int err;

	if (argc > 2 && !strcmp(argv[1], "-c")) {
		cfgpath = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") ||
			 !strcmp(argv[1], "--help"))) {
		usage();
		return 0;
	}

	err = cfg_load(&app.cfg, cfgpath, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "openseat: configuration: %s\n", errbuf);
		return err;
	}
	(void)setup_log(&app.cfg);

	if (argc < 2 || !strcmp(argv[1], "serve"))
		return serve();

	err = cli_run(&app, argc - 1, argv + 1);
	if (err == ENOTSUP)
		usage();

	return err;
}


int main(int argc, char *argv[])
{
	int err;

	err = libre_init();
	if (err) {
		fprintf(stderr, "openseat: libre_init: %s\n", strerror(err));
		return 1;
	}

	/* a link without the exported timer symbols would split the timers
	 * between libre's list and the wheel: refuse to run like that */
	err = timerwheel_check();
	if (err) {
		fprintf(stderr, "openseat: libre's timers are not replaced "
			"(build error: see Makefile TIMER_FNS)\n");
		return 1;
	}

	(void)fd_setsize(65536);
	err = run(argc, argv);

	libre_close();
	mem_debug();

	return err ? 1 : 0;
}
