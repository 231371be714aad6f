/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Punt classes of a network's kernel exception interface: settings written
 * here (fp-ctl), read by the workers field by field (see fp_punt_dp), and
 * per-worker counters summed on read.
 */
#include <errno.h>
#include <string.h>

#include "fp_ctl.h"

static const char *const punt_class_names[] = {
#define FP_X(n, d) #n,
	FP_PUNT_CLASSES(FP_X)
#undef FP_X
};

const char *
fp_punt_class_name(unsigned i)
{
	return i < RTE_DIM(punt_class_names) ? punt_class_names[i] : NULL;
}

struct fp_punt_set_arg {
	const char *network;
	const struct fp_punt_class_conf *conf;
};

static int
fp_cmd_punt_set(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_punt_set_arg *a = arg;
	struct fp_network *n = fp_network_find(a->network);
	unsigned w = fp_dp.n_workers ? fp_dp.n_workers : 1;

	if (n == NULL)
		return fp_err(err, -ENOENT, "no network named %s", a->network);
	for (unsigned c = 0; c < FP_PUNT_MAX; c++)
		if (a->conf[c].enabled && (a->conf[c].pps == 0 || a->conf[c].burst == 0))
			return fp_err(err, -EINVAL, "punt class %s: rate and burst must be > 0",
				      punt_class_names[c]);
	for (unsigned c = 0; c < FP_PUNT_MAX; c++) {
		/* Each worker polices its share; at least one packet each. */
		uint32_t pps = (a->conf[c].pps + w - 1) / w;
		uint32_t burst = (a->conf[c].burst + w - 1) / w;

		__atomic_store_n(&n->punt[c].pps_per_worker, pps, __ATOMIC_RELAXED);
		__atomic_store_n(&n->punt[c].burst_per_worker, burst, __ATOMIC_RELAXED);
		__atomic_store_n(&n->punt[c].enabled, a->conf[c].enabled ? 1u : 0u, __ATOMIC_RELAXED);
	}
	return 0;
}

struct fp_punt_stats_arg {
	const char *network;
	struct fp_punt_stats *out;
};

static int
fp_cmd_punt_stats(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_punt_stats_arg *a = arg;
	struct fp_network *n = fp_network_find(a->network);

	if (n == NULL)
		return fp_err(err, -ENOENT, "no network named %s", a->network);
	memset(a->out, 0, sizeof(*a->out));
	for (unsigned w = 0; w < fp_dp.n_workers; w++) {
		for (unsigned c = 0; c < FP_PUNT_MAX; c++) {
			a->out->passed[c] += __atomic_load_n(&n->punt_stats[w].passed[c], __ATOMIC_RELAXED);
			a->out->policed[c] += __atomic_load_n(&n->punt_stats[w].policed[c], __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int
fp_punt_set(const char *network, const struct fp_punt_class_conf conf[FP_PUNT_MAX], char *err)
{
	struct fp_punt_set_arg a = { network, conf };

	return fp_ctl_call(fp_cmd_punt_set, &a, err);
}

int
fp_punt_stats_read(const char *network, struct fp_punt_stats *out, char *err)
{
	struct fp_punt_stats_arg a = { network, out };

	return fp_ctl_call(fp_cmd_punt_stats, &a, err);
}
