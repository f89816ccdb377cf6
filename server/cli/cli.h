/* The operator's commands: migrate, tenant/user/operator create, demo. */
#ifndef OPENSEAT_CLI_H
#define OPENSEAT_CLI_H

struct app;

int cli_run(struct app *app, int argc, char *argv[]);

#endif
