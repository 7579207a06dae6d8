/*
 * options.h — option parsing shared by the commands: every command takes
 * -d CONNINFO (also after its name) besides its own options.
 */
#ifndef DTECERT_CLI_OPTIONS_H
#define DTECERT_CLI_OPTIONS_H

#include "dtecert.h"

#include <getopt.h>

/*
 * Parses argv with getopt_long; -d/--dbname update *opts, -h/--help set
 * *help.  Each other option is handed to `on_option` (return false to
 * reject).  Returns false (after a message) on a usage error.  On success,
 * *first is the index of the first operand.
 */
typedef bool (*option_fn) (int c, const char *arg, void *state);

bool		parse_command_options(const char *command, int argc, char **argv,
								  const char *shortopts, const struct option *longopts,
								  Options *opts, option_fn on_option, void *state,
								  int *first);

#endif							/* DTECERT_CLI_OPTIONS_H */
