/* SPDX-License-Identifier: Apache-2.0 */
/* fp_err: fp_err.h. */
#include <stdarg.h>
#include <stdio.h>

#include "fp/fp.h"
#include "fp_err.h"

int
fp_err(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err, FP_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}
