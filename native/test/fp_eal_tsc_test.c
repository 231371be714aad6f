/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath's replacement for EAL's TSC calibration (src/ctl/fp_eal_tsc.c)
 * against the measurement it replaces, made the way EAL makes it but over
 * half a second: the two agree to the 10 MHz EAL rounds to, every time.
 * When the clock cannot be used the replacement defers to EAL's own.
 */
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "fp_check.h"

uint64_t __wrap_get_tsc_freq(void);

/* EAL's own, as the addon links it; here a marker that it was called. */
static int real_calls;
uint64_t __real_get_tsc_freq(void);
uint64_t
__real_get_tsc_freq(void)
{
	real_calls++;
	return 0;
}

/* The reference: EAL's method (TSC against CLOCK_MONOTONIC_RAW across a
 * sleep), over 500 ms instead of 100. */
static uint64_t
reference_hz(void)
{
	struct timespec a, b, nap = { .tv_nsec = 500 * 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	uint64_t t0 = rte_rdtsc_precise();
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	uint64_t t1 = rte_rdtsc_precise();
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return (uint64_t)((double)(t1 - t0) / s);
}

int
main(void)
{
	uint64_t ref = reference_hz();

	CHECK(ref > 100000000ull); /* a TSC of at least 100 MHz */
	for (int i = 0; i < 10; i++) {
		uint64_t hz = __wrap_get_tsc_freq();
		uint64_t diff = hz > ref ? hz - ref : ref - hz;

		CHECK(hz % 10000000ull == 0);      /* rounded as EAL rounds */
		CHECK(diff <= 5000000ull + ref / 10000); /* half a rounding step, plus 1e-4 */
		if (diff > 5000000ull + ref / 10000)
			fprintf(stderr, "fp_eal_tsc: %llu Hz, reference %llu Hz\n",
				(unsigned long long)hz, (unsigned long long)ref);
	}
	CHECK(real_calls == 0); /* the clock worked: EAL's 100 ms sleep never ran */
	return failures == 0 ? 0 : 1;
}
