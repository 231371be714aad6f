/* SPDX-License-Identifier: Apache-2.0 */
/* The vhost-user allow-list: what a virtio-net front-end sends passes, the
 * worst version of each message does not. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl/fp_vhost_msg.h"
#include "fp/fp.h"
#include "fp_check.h"

static struct fp_vhu_ctx
msg(uint32_t req, uint32_t size)
{
	struct fp_vhu_ctx c;

	memset(&c, 0, sizeof(c));
	c.request = req;
	c.flags = FP_VHU_VERSION;
	c.size = size;
	for (int i = 0; i < FP_VHU_MAX_REGIONS; i++)
		c.fds[i] = -1;
	return c;
}

static int
ok(const struct fp_vhu_ctx *c, uint16_t queues)
{
	char why[FP_ERR_LEN];
	return fp_vhu_check(c, queues, why) == 0;
}

static int
okv(struct fp_vhu_ctx c, uint16_t queues)
{
	return ok(&c, queues);
}

static void
set_state(struct fp_vhu_ctx *c, uint32_t index, uint32_t num)
{
	struct fp_vhu_vring_state s = { index, num };
	memcpy(c->payload.raw, &s, sizeof(s));
}

static void
test_front_end_messages_pass(void)
{
	struct fp_vhu_ctx c;

	CHECK(okv(msg(FP_VHU_GET_FEATURES, 0), 1));
	CHECK(okv(msg(FP_VHU_SET_OWNER, 0), 1));
	c = msg(FP_VHU_SET_FEATURES, 8);
	c.flags |= FP_VHU_NEED_REPLY;
	CHECK(ok(&c, 1));
	c = msg(FP_VHU_SET_VRING_NUM, 8);
	set_state(&c, 1, 256);
	CHECK(ok(&c, 1));
	c = msg(FP_VHU_SET_VRING_ADDR, 40);
	set_state(&c, 3, 0);
	CHECK(ok(&c, 2));
	c = msg(FP_VHU_SET_VRING_KICK, 8);
	c.payload.u64 = 1;
	c.fd_num = 1;
	c.fds[0] = 0;
	CHECK(ok(&c, 1));
	c.payload.u64 = 1 | FP_VHU_VRING_NOFD;
	c.fd_num = 0;
	c.fds[0] = -1;
	CHECK(ok(&c, 1));
}

static void
test_bad_shapes_refused(void)
{
	struct fp_vhu_ctx c;

	CHECK(!okv(msg(FP_VHU_GET_FEATURES, 8), 1));  /* payload where none belongs */
	CHECK(!okv(msg(FP_VHU_SET_FEATURES, 0), 1));  /* none where one belongs */
	c = msg(FP_VHU_SET_FEATURES, 8);
	c.flags = 2; /* wrong version */
	CHECK(!ok(&c, 1));
	c = msg(FP_VHU_SET_FEATURES, 8);
	c.flags |= FP_VHU_REPLY; /* a reply is not a request */
	CHECK(!ok(&c, 1));
	c = msg(FP_VHU_SET_VRING_NUM, 8);
	set_state(&c, 2, 256); /* vring 2 of a one-queue port */
	CHECK(!ok(&c, 1));
	set_state(&c, 255, 256);
	CHECK(!ok(&c, FP_MAX_QUEUES));
	set_state(&c, 0, 65536); /* a ring too big to allocate for */
	CHECK(!ok(&c, 1));
	c = msg(FP_VHU_SET_VRING_CALL, 8);
	c.payload.u64 = 0x200; /* unknown bits */
	CHECK(!ok(&c, 1));
	c.payload.u64 = 0; /* needs its descriptor */
	CHECK(!ok(&c, 1));
	for (uint32_t req = 0; req < 64; req++) {
		/* Everything virtio-net does not need, refused whatever its shape. */
		if (req == FP_VHU_RESET_OWNER || req == FP_VHU_SET_LOG_BASE || req == FP_VHU_SET_LOG_FD ||
		    req == FP_VHU_GET_INFLIGHT_FD || req == FP_VHU_SET_INFLIGHT_FD ||
		    req == FP_VHU_SEND_RARP || req == 21 || req == 22 || req >= 41 || req == 0)
			CHECK(!okv(msg(req, 24), 16));
	}
}

static int
memfd(off_t size)
{
	int fd = memfd_create("guest", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, size) != 0)
		return -1;
	return fd;
}

static struct fp_vhu_ctx
mem_table(uint32_t n, const int *fds, uint64_t size, uint64_t offset)
{
	struct fp_vhu_ctx c = msg(FP_VHU_SET_MEM_TABLE, 8 + n * (uint32_t)sizeof(struct fp_vhu_region));
	struct fp_vhu_memory m;

	memset(&m, 0, sizeof(m));
	m.nregions = n;
	for (uint32_t i = 0; i < n && i < FP_VHU_MAX_REGIONS; i++) {
		m.regions[i] = (struct fp_vhu_region){ 0x100000 * (i + 1), size, 0x7f0000000000 + 0x100000 * i, offset };
		c.fds[i] = fds[i];
	}
	c.fd_num = (int)(n < FP_VHU_MAX_REGIONS ? n : FP_VHU_MAX_REGIONS);
	memcpy(c.payload.raw, &m, sizeof(m));
	return c;
}

static void
test_mem_tables(void)
{
	int f[FP_VHU_MAX_REGIONS], pipefd[2], dir = open("/", O_RDONLY | O_DIRECTORY);
	struct fp_vhu_ctx c;

	for (int i = 0; i < FP_VHU_MAX_REGIONS; i++)
		f[i] = memfd(1 << 20);
	CHECK(pipe(pipefd) == 0);
	CHECK(okv(mem_table(1, f, 1 << 20, 0), 1));
	CHECK(okv(mem_table(8, f, 1 << 19, 1 << 19), 1));
	CHECK(!okv(mem_table(0, f, 1 << 20, 0), 1));     /* no region */
	c = mem_table(9, f, 1 << 20, 0);                         /* 9 regions */
	CHECK(!ok(&c, 1));
	c = mem_table(1, f, 2 << 20, 0); /* past the end of its file */
	CHECK(!ok(&c, 1));
	c = mem_table(1, f, 1 << 20, 1); /* offset pushes it past the end */
	CHECK(!ok(&c, 1));
	c = mem_table(1, f, 0, 0);
	CHECK(!ok(&c, 1));
	c = mem_table(1, f, 1 << 20, UINT64_MAX - 10); /* wraps */
	CHECK(!ok(&c, 1));
	c = mem_table(1, &pipefd[0], 1 << 20, 0); /* not memory */
	CHECK(!ok(&c, 1));
	c = mem_table(1, &dir, 1 << 20, 0);
	CHECK(!ok(&c, 1));
	c = mem_table(2, f, 1 << 20, 0);
	c.fd_num = 1; /* one descriptor for two regions */
	c.fds[1] = -1;
	CHECK(!ok(&c, 1));
	c = mem_table(1, f, 1 << 20, 0);
	c.size = 8 + 2 * 32; /* size says two regions */
	CHECK(!ok(&c, 1));
	for (int i = 0; i < FP_VHU_MAX_REGIONS; i++)
		close(f[i]);
	close(pipefd[0]);
	close(pipefd[1]);
	close(dir);
}

static void
test_layout_and_close(void)
{
	struct fp_vhu_ctx c = msg(FP_VHU_SET_VRING_KICK, 8);
	int fd = memfd(0);

	CHECK(fp_vhu_layout_ok(&c));
	c.fds[3] = 7; /* beyond fd_num must be -1 */
	CHECK(!fp_vhu_layout_ok(&c));
	c.fds[3] = -1;
	c.fd_num = 9;
	CHECK(!fp_vhu_layout_ok(&c));
	c.fd_num = 1;
	c.fds[0] = fd;
	CHECK(fp_vhu_layout_ok(&c));
	fp_vhu_close_fds(&c);
	CHECK(c.fd_num == 0 && c.fds[0] == -1 && fcntl(fd, F_GETFD) == -1);
}

int
main(void)
{
	test_front_end_messages_pass();
	test_bad_shapes_refused();
	test_mem_tables();
	test_layout_and_close();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
