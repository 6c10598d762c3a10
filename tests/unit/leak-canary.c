/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A planted leak. The valgrind run (tests/tools/valgrind-check.sh) runs this
 * first and insists that valgrind reports it: a valgrind set-up that cannot
 * see a leak would pass anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *p = malloc(4096);

	if (!p)
		return 1;
	memset(p, 0x5a, 4096);
	printf("leak-canary: leaking 4096 bytes at %p on purpose\n", (void *)p);
	p = NULL; /* the only reference is gone: definitely lost */
	return 0;
}
