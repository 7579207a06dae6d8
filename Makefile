# dtecert — PGXS build.  `make && make install`, then `make installcheck`
# against a running server (pg_regress suites in sql/ + expected/ and the
# TAP suites in test/t/).  `make unitcheck` runs the plain-C unit tests of the
# policy parser, which need no server.

EXTENSION = dtecert
EXTVERSION = $(shell grep default_version $(EXTENSION).control | sed -e "s/default_version[[:space:]]*=[[:space:]]*'\([^']*\)'/\1/")

MODULE_big = dtecert
SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:.c=.o)

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress suites: every sql/*.sql except the install/upgrade scripts.
REGRESS = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags json-c yaml-0.1 libcurl) \
	-DDTECERT_VERSION='"$(EXTVERSION)"'
SHLIB_LINK = $(shell pkg-config --libs json-c yaml-0.1 libcurl)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

EXTRA_CLEAN = test/unit/policy_test test/unit/*.o
# the `dtecert` command (cli/), built by the rules at the end
EXTRA_CLEAN += cli/dtecert

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The policy parser is plain C: its unit tests build without the server.
test/unit/policy_test: test/unit/policy_test.c src/policy.c src/policy.h
	$(CC) -std=gnu99 -g -O1 -Wall -Wextra -Werror -Isrc -o $@ test/unit/policy_test.c src/policy.c $(shell pkg-config --cflags --libs yaml-0.1)

.PHONY: unitcheck
unitcheck: test/unit/policy_test
	test/unit/policy_test

# PGXS tracks no header dependencies: rebuild every object when a header
# changes, so no object is ever compiled against an old struct layout.
$(OBJS): $(wildcard src/*.h)

# The `dtecert` command (cli/*.c): a libpq client, built with the extension
# (`make`) and installed next to pg_config's programs (`make install`).
CLI_SRCS = $(sort $(wildcard cli/*.c))
CLI_HDRS = $(wildcard cli/*.h)
CLI_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
CLI_LIBDIR := $(shell $(PG_CONFIG) --libdir)

all: cli/dtecert

cli/dtecert: $(CLI_SRCS) $(CLI_HDRS)
	$(CC) -std=gnu99 -g -O2 -Wall -Wextra -Werror -I'$(CLI_INCLUDEDIR)' \
		$(shell pkg-config --cflags yaml-0.1) -o $@ $(CLI_SRCS) \
		-L'$(CLI_LIBDIR)' -lpq $(shell pkg-config --libs yaml-0.1)

.PHONY: install-cli uninstall-cli
install: install-cli
install-cli: cli/dtecert
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) cli/dtecert '$(DESTDIR)$(bindir)/dtecert'

uninstall: uninstall-cli
uninstall-cli:
	rm -f '$(DESTDIR)$(bindir)/dtecert'
