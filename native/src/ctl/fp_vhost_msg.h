/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhost-user messages as librte_vhost hands them to its pre-message hook,
 * and the rules a front-end's message must meet before the library acts on
 * it. The library trusts too much: it maps regions past the end of their
 * file (the first ring access then faults), mmaps and writes a front-end's
 * SET_INFLIGHT_FD area, memsets a GET_INFLIGHT_FD area whose size the
 * front-end chooses (gigabytes), leaks descriptors on some error paths and
 * allocates per-vring state for any index below 256. So every message is
 * checked here first, against an allow-list of what a virtio-net front-end
 * (DPDK's virtio_user, QEMU) sends; anything else ends the connection.
 *
 * The header (request, flags, size) and payloads are the vhost-user wire
 * format. What follows the payload, the received descriptors, is
 * librte_vhost's `struct vhu_msg_context`, private to the library: its
 * layout is the one of DPDK 22.11 (checked at build time against the version
 * and, on every message, by fp_vhu_layout_ok()).
 * @pre vhost-events thread (or any thread, for the pure functions).
 */
#ifndef FP_VHOST_MSG_H
#define FP_VHOST_MSG_H

#include <stdint.h>

#include <rte_version.h>

#if RTE_VERSION < RTE_VERSION_NUM(22, 11, 0, 0) || RTE_VERSION >= RTE_VERSION_NUM(22, 12, 0, 0)
#error "struct fp_vhu_ctx mirrors DPDK 22.11's struct vhu_msg_context; check it for this DPDK"
#endif

/* Requests (vhost-user specification numbering). */
enum fp_vhu_request {
	FP_VHU_GET_FEATURES = 1,
	FP_VHU_SET_FEATURES = 2,
	FP_VHU_SET_OWNER = 3,
	FP_VHU_RESET_OWNER = 4,
	FP_VHU_SET_MEM_TABLE = 5,
	FP_VHU_SET_LOG_BASE = 6,
	FP_VHU_SET_LOG_FD = 7,
	FP_VHU_SET_VRING_NUM = 8,
	FP_VHU_SET_VRING_ADDR = 9,
	FP_VHU_SET_VRING_BASE = 10,
	FP_VHU_GET_VRING_BASE = 11,
	FP_VHU_SET_VRING_KICK = 12,
	FP_VHU_SET_VRING_CALL = 13,
	FP_VHU_SET_VRING_ERR = 14,
	FP_VHU_GET_PROTOCOL_FEATURES = 15,
	FP_VHU_SET_PROTOCOL_FEATURES = 16,
	FP_VHU_GET_QUEUE_NUM = 17,
	FP_VHU_SET_VRING_ENABLE = 18,
	FP_VHU_SEND_RARP = 19,
	FP_VHU_NET_SET_MTU = 20,
	FP_VHU_GET_INFLIGHT_FD = 31,
	FP_VHU_SET_INFLIGHT_FD = 32,
	FP_VHU_SET_STATUS = 39,
	FP_VHU_GET_STATUS = 40,
};

#define FP_VHU_VERSION 0x1
#define FP_VHU_VERSION_MASK 0x3
#define FP_VHU_REPLY 0x4
#define FP_VHU_NEED_REPLY 0x8
#define FP_VHU_VRING_IDX_MASK 0xffu
#define FP_VHU_VRING_NOFD 0x100u
#define FP_VHU_MAX_REGIONS 8
#define FP_VHU_PAYLOAD_MAX 632 /* DPDK 22.11: the union's largest member */

struct fp_vhu_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct fp_vhu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct fp_vhu_region regions[FP_VHU_MAX_REGIONS];
};

struct fp_vhu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct fp_vhu_ctx {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes that followed the header */
	union {
		uint64_t u64;
		struct fp_vhu_vring_state state;
		struct fp_vhu_memory memory;
		uint8_t raw[FP_VHU_PAYLOAD_MAX];
	} payload;
	int fds[FP_VHU_MAX_REGIONS];
	int fd_num;
} __attribute__((packed));

_Static_assert(sizeof(struct fp_vhu_memory) == 264, "vhost-user memory table layout");
_Static_assert(__builtin_offsetof(struct fp_vhu_ctx, fds) == 644, "vhu_msg_context layout (22.11)");

/* Limits on what one connection may ask of us. */
#define FP_VHU_MAX_VRING_SIZE 4096        /* descriptors per ring */
#define FP_VHU_MAX_GUEST_MEM (64ULL << 30) /* bytes mapped per connection */

/*
 * 1 when the descriptor bookkeeping after the payload looks like the
 * library's (fd_num in range, unused slots -1). When it does not, nothing
 * about the message can be trusted, not even which descriptors to close.
 */
int fp_vhu_layout_ok(const struct fp_vhu_ctx *ctx);

/*
 * 0 when the message may go to the library; else a negative errno and a
 * reason in why (FP_ERR_LEN). queues: the port's queue pairs (vring indexes
 * must be below 2 * queues). Checks the descriptors of SET_MEM_TABLE with
 * fstat: regular files (hugetlbfs, memfd, tmpfs) that hold every byte of
 * their region.
 */
int fp_vhu_check(const struct fp_vhu_ctx *ctx, uint16_t queues, char *why);

/* 1 for the requests that may carry descriptors (the memory table, the
 * vring eventfds); every other request's descriptors are dropped on arrival. */
int fp_vhu_takes_fds(uint32_t request);

/* Close every descriptor the message carried (the library will not). */
void fp_vhu_close_fds(struct fp_vhu_ctx *ctx);

#endif
