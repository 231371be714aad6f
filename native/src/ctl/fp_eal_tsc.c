/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAL's TSC frequency, without its 100 ms sleep.
 *
 * DPDK 22.11 asks the CPU first (CPUID leaf 0x15, or an Intel MSR). Where the
 * CPU has no answer, as on AMD and in most VMs, EAL times the TSC against
 * CLOCK_MONOTONIC_RAW across a 100 ms nanosleep (get_tsc_freq). Every
 * fastpathd start pays that tenth of a second, and so does every tenant's
 * forwarding gap across a restart.
 *
 * The addon links EAL statically with -Wl,--wrap=get_tsc_freq
 * (native/CMakeLists.txt), so that fallback comes here instead. This is the
 * same measurement over 5 ms. Each end of the window is read as a tight
 * (TSC, clock) pair: the best of several tries, with the clock read between
 * two TSC reads a few dozen cycles apart. That leaves an error per end of
 * tens of nanoseconds, about 1e-5 of the window (25 kHz at 2.5 GHz), far inside the 10 MHz that
 * EAL rounds to. If the clock cannot be read, EAL's own measurement runs.
 *
 * @pre fp-ctl, inside rte_eal_init (EAL's set_tsc_freq is the only caller).
 */
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#define FP_TSC_WINDOW_NS (5 * 1000 * 1000)
#define FP_TSC_PAIR_TRIES 64
#define FP_NS_PER_S 1000000000ull
#define FP_TSC_ROUND_HZ 10000000ull /* as EAL's own measurement rounds */

uint64_t __real_get_tsc_freq(void);
uint64_t __wrap_get_tsc_freq(void);

/* One end of the window: the clock, and the TSC at the moment it was read
 * (the middle of the tightest pair of TSC reads around it). 0 / -1. */
static int
fp_tsc_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < FP_TSC_PAIR_TRIES; i++) {
		struct timespec t;
		uint64_t a = rte_rdtsc_precise();

		if (clock_gettime(CLOCK_MONOTONIC_RAW, &t) != 0)
			return -1;
		uint64_t b = rte_rdtsc_precise();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)t.tv_sec * FP_NS_PER_S + (uint64_t)t.tv_nsec;
		}
	}
	return 0;
}

uint64_t
__wrap_get_tsc_freq(void)
{
	struct timespec nap = { .tv_nsec = FP_TSC_WINDOW_NS };
	uint64_t tsc0 = 0, ns0 = 0, tsc1 = 0, ns1 = 0;

	if (fp_tsc_pair(&tsc0, &ns0) != 0)
		return __real_get_tsc_freq();
	nanosleep(&nap, NULL); /* how long it really slept does not matter */
	if (fp_tsc_pair(&tsc1, &ns1) != 0 || ns1 <= ns0 || tsc1 <= tsc0)
		return __real_get_tsc_freq();
	double hz = (double)(tsc1 - tsc0) * (double)FP_NS_PER_S / (double)(ns1 - ns0);
	return RTE_ALIGN_MUL_NEAR((uint64_t)hz, FP_TSC_ROUND_HZ);
}
