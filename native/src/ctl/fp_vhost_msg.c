/* SPDX-License-Identifier: Apache-2.0 */
/* The allow-list of vhost-user messages: see fp_vhost_msg.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp/fp.h"
#include "fp_vhost_msg.h"

static int
fp_vhu_why(char *why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));


static int
fp_vhu_why(char *why, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, FP_ERR_LEN, fmt, ap);
	va_end(ap);
	return rc;
}

int
fp_vhu_layout_ok(const struct fp_vhu_ctx *ctx)
{
	if (ctx->fd_num < 0 || ctx->fd_num > FP_VHU_MAX_REGIONS)
		return 0;
	for (int i = 0; i < FP_VHU_MAX_REGIONS; i++) {
		if (i < ctx->fd_num ? ctx->fds[i] < 0 : ctx->fds[i] != -1)
			return 0;
	}
	return 1;
}

int
fp_vhu_takes_fds(uint32_t request)
{
	return request == FP_VHU_SET_MEM_TABLE || request == FP_VHU_SET_VRING_KICK ||
	       request == FP_VHU_SET_VRING_CALL || request == FP_VHU_SET_VRING_ERR;
}

void
fp_vhu_close_fds(struct fp_vhu_ctx *ctx)
{
	for (int i = 0; i < ctx->fd_num && i < FP_VHU_MAX_REGIONS; i++) {
		if (ctx->fds[i] >= 0)
			close(ctx->fds[i]);
		ctx->fds[i] = -1;
	}
	ctx->fd_num = 0;
}

/* Each region's file must hold every byte the library will map. */
static int
fp_vhu_check_memory(const struct fp_vhu_ctx *ctx, char *why)
{
	struct fp_vhu_memory mem;
	const struct fp_vhu_memory *m = &mem;
	uint64_t total = 0;

	memcpy(&mem, ctx->payload.raw, sizeof(mem)); /* the payload is not 8-byte aligned */
	if (ctx->size < 8)
		return fp_vhu_why(why, -EINVAL, "SET_MEM_TABLE: payload of %u bytes", ctx->size);
	if (m->nregions < 1 || m->nregions > FP_VHU_MAX_REGIONS)
		return fp_vhu_why(why, -EINVAL, "SET_MEM_TABLE: %u regions (1..%d)", m->nregions,
				  FP_VHU_MAX_REGIONS);
	if (ctx->size != 8 + m->nregions * sizeof(struct fp_vhu_region))
		return fp_vhu_why(why, -EINVAL, "SET_MEM_TABLE: %u bytes for %u regions", ctx->size,
				  m->nregions);
	if ((uint32_t)ctx->fd_num != m->nregions)
		return fp_vhu_why(why, -EINVAL, "SET_MEM_TABLE: %d descriptors for %u regions",
				  ctx->fd_num, m->nregions);
	for (uint32_t i = 0; i < m->nregions; i++) {
		const struct fp_vhu_region *r = &m->regions[i];
		uint64_t need = r->mmap_offset + r->memory_size;
		struct stat st;

		if (r->memory_size == 0 || need < r->mmap_offset ||
		    r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
		    r->userspace_addr + r->memory_size < r->userspace_addr)
			return fp_vhu_why(why, -EINVAL, "SET_MEM_TABLE: region %u is empty or wraps", i);
		if (fstat(ctx->fds[i], &st) != 0)
			return fp_vhu_why(why, -EBADF, "SET_MEM_TABLE: region %u: fstat failed", i);
		if (!S_ISREG(st.st_mode))
			return fp_vhu_why(why, -EINVAL,
					  "SET_MEM_TABLE: region %u is not backed by a file (mode %o)", i,
					  (unsigned)st.st_mode & S_IFMT);
		if ((uint64_t)st.st_size < need)
			return fp_vhu_why(why, -EINVAL,
					  "SET_MEM_TABLE: region %u needs %llu bytes, its file has %lld", i,
					  (unsigned long long)need, (long long)st.st_size);
		total += need;
		if (total > FP_VHU_MAX_GUEST_MEM)
			return fp_vhu_why(why, -E2BIG, "SET_MEM_TABLE: over %llu GiB of guest memory",
					  FP_VHU_MAX_GUEST_MEM >> 30);
	}
	return 0;
}

static int
fp_vhu_check_vring(const struct fp_vhu_ctx *ctx, uint16_t queues, uint32_t index, char *why)
{
	if (index >= 2u * queues)
		return fp_vhu_why(why, -ERANGE, "vring %u of a port with %u queue pairs", index,
				  queues);
	return 0;
}

int
fp_vhu_check(const struct fp_vhu_ctx *ctx, uint16_t queues, char *why)
{
	uint32_t req = ctx->request, size = ctx->size;
	int fds = ctx->fd_num;

	if ((ctx->flags & FP_VHU_VERSION_MASK) != FP_VHU_VERSION ||
	    (ctx->flags & ~(uint32_t)(FP_VHU_VERSION_MASK | FP_VHU_NEED_REPLY)) != 0)
		return fp_vhu_why(why, -EPROTO, "request %u with flags 0x%x", req, ctx->flags);

	switch (req) {
	case FP_VHU_GET_FEATURES:
	case FP_VHU_GET_PROTOCOL_FEATURES:
	case FP_VHU_GET_QUEUE_NUM:
	case FP_VHU_GET_STATUS:
	case FP_VHU_SET_OWNER:
		if (size != 0 || fds != 0)
			goto bad_shape;
		return 0;
	case FP_VHU_SET_FEATURES:
	case FP_VHU_SET_PROTOCOL_FEATURES:
	case FP_VHU_SET_STATUS:
	case FP_VHU_NET_SET_MTU:
		if (size != 8 || fds != 0)
			goto bad_shape;
		return 0;
	case FP_VHU_SET_VRING_NUM:
		if (size != 8 || fds != 0)
			goto bad_shape;
		if (ctx->payload.state.num == 0 || ctx->payload.state.num > FP_VHU_MAX_VRING_SIZE)
			return fp_vhu_why(why, -ERANGE, "vring size %u (1..%d)", ctx->payload.state.num,
					  FP_VHU_MAX_VRING_SIZE);
		return fp_vhu_check_vring(ctx, queues, ctx->payload.state.index, why);
	case FP_VHU_SET_VRING_BASE:
	case FP_VHU_GET_VRING_BASE:
	case FP_VHU_SET_VRING_ENABLE:
		if (size != 8 || fds != 0)
			goto bad_shape;
		return fp_vhu_check_vring(ctx, queues, ctx->payload.state.index, why);
	case FP_VHU_SET_VRING_ADDR:
		if (size != 40 || fds != 0) /* index, flags, four addresses */
			goto bad_shape;
		return fp_vhu_check_vring(ctx, queues, ctx->payload.state.index, why);
	case FP_VHU_SET_VRING_KICK:
	case FP_VHU_SET_VRING_CALL:
	case FP_VHU_SET_VRING_ERR: {
		uint64_t v = ctx->payload.u64;
		int nofd = (v & FP_VHU_VRING_NOFD) != 0;

		if (size != 8 || (v & ~(uint64_t)(FP_VHU_VRING_IDX_MASK | FP_VHU_VRING_NOFD)) != 0 ||
		    fds != (nofd ? 0 : 1))
			goto bad_shape;
		return fp_vhu_check_vring(ctx, queues, (uint32_t)(v & FP_VHU_VRING_IDX_MASK), why);
	}
	case FP_VHU_SET_MEM_TABLE:
		return fp_vhu_check_memory(ctx, why);
	default:
		/* RESET_OWNER (deprecated), dirty logging, inflight areas, the
		 * slave channel, IOTLB, config space, crypto, postcopy, RARP:
		 * nothing a container's virtio-net front-end needs from us. */
		return fp_vhu_why(why, -EOPNOTSUPP, "request %u is not supported", req);
	}
bad_shape:
	return fp_vhu_why(why, -EINVAL, "request %u with %u payload bytes and %d descriptors", req,
			  size, fds);
}
