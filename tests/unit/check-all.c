/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one runner for every unit-test suite (suites.h). CK_RUN_SUITE and
 * CK_RUN_CASE select a part; CK_FORK=no runs in-process (for valgrind).
 */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

#define ADD_SUITE(name) srunner_add_suite(sr, name##_suite());
	IOASID_SUITES(ADD_SUITE)
#undef ADD_SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
