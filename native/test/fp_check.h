/* SPDX-License-Identifier: Apache-2.0 */
/* The C unit tests' one assertion: report and count, keep going. */
#ifndef FP_CHECK_H
#define FP_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                        \
	do {                                                                \
		if (!(c)) {                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
			failures++;                                                 \
		}                                                               \
	} while (0)

/*
 * The end of a readable page followed by a PROT_NONE one: n bytes put at
 * (end - n) end where a tenant's frame may end, at the end of its buffer,
 * and any read past them faults. NULL (counted as a failure) when the
 * pages cannot be had; the caller releases them with fp_guard_release.
 */
static inline uint8_t *
fp_guarded_end(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)psz * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		return NULL;
	CHECK(mprotect(mem + psz, (size_t)psz, PROT_NONE) == 0);
	return mem + psz;
}

static inline void
fp_guard_release(uint8_t *end)
{
	long psz = sysconf(_SC_PAGESIZE);

	munmap(end - psz, (size_t)psz * 2);
}

#endif
