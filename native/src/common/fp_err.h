/* SPDX-License-Identifier: Apache-2.0 */
/* Error messages for the 0 / -errno convention. Any thread. */
#ifndef FP_ERR_H
#define FP_ERR_H

/* Format into err (FP_ERR_LEN bytes; NULL: no message) and return rc (a -errno). */
int fp_err(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
