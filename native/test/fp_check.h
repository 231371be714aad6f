/* SPDX-License-Identifier: Apache-2.0 */
/* The C unit tests' one assertion: report and count, keep going. */
#ifndef FP_CHECK_H
#define FP_CHECK_H

#include <stdio.h>

static int failures;
#define CHECK(c)                                                        \
	do {                                                                \
		if (!(c)) {                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
			failures++;                                                 \
		}                                                               \
	} while (0)

#endif
