/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scaling bench's guest (bench/scale.ts): a DPDK process on virtio_user
 * ports, in pairs, that keeps frames circulating through the switch under
 * test like testpmd's mac forwarding does, but gives every frame it sends
 * the next of `--macs` source/destination MAC pairs and the next of
 * `--flows` 5-tuples. testpmd cannot: tx_first frames keep the port's MAC,
 * and --txonly-multi-flow varies 256 source addresses at most.
 *
 *   fp_trafgen <EAL args> -- --pairs P [--macs N] [--flows N] [--size B]
 *                            [--inflight N] [--mbuf-size B] [--tag T]
 *                            [--refill-ms N]
 *
 * Ports 2p and 2p+1 form pair p. A frame received on one port of a pair
 * leaves by the other; on the way it is rewritten to
 *   dst MAC 02:<T + p>:<side of the port it will reach>:<m, 24 bits>
 *   src MAC 02:<T + p>:<side it leaves by>:<m>
 *   IPv4 198.18.<f> -> 198.19.<f>, UDP 1024 + (f >> 16) -> 9
 * with m and f counting through 0..macs-1 and 0..flows-1 per sending port,
 * so the switch learns every source MAC on the port it enters by and looks
 * every destination up, and flow tables see `--flows` distinct destination
 * addresses (a field rules match on, so the flows stay distinct under a
 * table's mask). The IPv4 checksum is not kept: the switch does not
 * check it, and the guest's cost per frame stays small.
 *
 * Driven on stdin, one command per line, each answer ending with the
 * prompt "trafgen> ": `start` injects --inflight frames per port and
 * starts the loop, `stats` prints "rx N tx N drop N", `macs N`, `flows N`
 * and `size N` change what the frames carry from the next burst on (so a
 * bench can alternate between points without a new guest), `quit` ends it.
 * @pre main lcore reads stdin; the second lcore forwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define TG_BURST 32
#define TG_RING 256
#define TG_MAX_PORTS RTE_MAX_ETHPORTS
#define TG_PROMPT "trafgen> "

struct tg_opts {
	uint16_t pairs;
	uint32_t macs;
	uint32_t flows;
	uint32_t size;
	uint32_t inflight;
	uint32_t mbuf_size;
	uint32_t tag; /* added to the pair number in every MAC: guests apart */
	uint32_t refill_ms; /* frames gone this long are written off and replaced */
};

/* Per sending port: where its MAC and flow counters are. Written by the
 * forwarding lcore only. */
struct tg_cursor {
	uint32_t mac;
	uint32_t flow;
};

/* Counters: the forwarding lcore writes (relaxed stores), main reads. */
struct tg_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t drop;
};

static struct tg_opts opts = { .macs = 1, .flows = 1, .size = 64, .inflight = 256, .refill_ms = 100 };
static struct rte_mempool *pool;
static struct tg_cursor cursor[TG_MAX_PORTS];
static struct tg_stats stats[TG_MAX_PORTS];
static volatile int running;
static uint16_t n_ports;

static int
tg_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
tg_parse(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		uint32_t v = 0;
		const char *k = argv[i];

		if (i + 1 >= argc) {
			fprintf(stderr, "fp_trafgen: %s needs a value\n", k);
			return -EINVAL;
		}
		const char *val = argv[++i];
		int rc;

		if (strcmp(k, "--pairs") == 0) {
			rc = tg_parse_u32(val, 1, TG_MAX_PORTS / 2, &v);
			opts.pairs = (uint16_t)v;
		} else if (strcmp(k, "--macs") == 0)
			rc = tg_parse_u32(val, 1, 1u << 24, &opts.macs);
		else if (strcmp(k, "--flows") == 0)
			rc = tg_parse_u32(val, 1, 1u << 24, &opts.flows);
		else if (strcmp(k, "--size") == 0)
			rc = tg_parse_u32(val, 60, 9600, &opts.size);
		else if (strcmp(k, "--inflight") == 0)
			rc = tg_parse_u32(val, 1, 4096, &opts.inflight);
		else if (strcmp(k, "--mbuf-size") == 0)
			rc = tg_parse_u32(val, 0, 16384, &opts.mbuf_size);
		else if (strcmp(k, "--tag") == 0)
			rc = tg_parse_u32(val, 0, 255, &opts.tag);
		else if (strcmp(k, "--refill-ms") == 0)
			rc = tg_parse_u32(val, 1, 60000, &opts.refill_ms);
		else {
			fprintf(stderr, "fp_trafgen: unknown option %s\n", k);
			return -EINVAL;
		}
		if (rc != 0) {
			fprintf(stderr, "fp_trafgen: bad value for %s: %s\n", k, val);
			return rc;
		}
	}
	if (opts.pairs == 0) {
		fprintf(stderr, "fp_trafgen: --pairs is required\n");
		return -EINVAL;
	}
	return 0;
}

static inline void
tg_mac(uint8_t *a, uint16_t pair, uint8_t side, uint32_t m)
{
	a[0] = 0x02; /* locally administered, unicast */
	a[1] = (uint8_t)(opts.tag + pair);
	a[2] = side;
	a[3] = (uint8_t)(m >> 16);
	a[4] = (uint8_t)(m >> 8);
	a[5] = (uint8_t)m;
}

/* What the frames carry now: main writes (relaxed), the forwarding lcore
 * reads once per burst. */
struct tg_live {
	uint32_t macs;
	uint32_t flows;
	uint32_t size;
};
static struct tg_live live;

/* The IPv4 and UDP length fields of a frame of `size` bytes. */
static inline void
tg_set_lengths(uint8_t *f, uint32_t size)
{
	f[16] = (uint8_t)((size - 14) >> 8);
	f[17] = (uint8_t)(size - 14);
	f[38] = (uint8_t)((size - 34) >> 8);
	f[39] = (uint8_t)(size - 34);
}

/* Rewrite frame f (at least 42 bytes) as the next one port `out` sends. */
static inline void
tg_rewrite(uint8_t *f, uint16_t out, const struct tg_live *l)
{
	struct tg_cursor *c = &cursor[out];
	uint16_t pair = out >> 1;
	uint8_t side = out & 1;
	uint32_t fl = c->flow;

	tg_mac(f, pair, side ^ 1, c->mac);
	tg_mac(f + 6, pair, side, c->mac);
	/* IPv4 198.18.<fl & 0xffff> -> 198.19.<fl & 0xffff>, UDP source
	 * port 1024 + (fl >> 16). */
	f[28] = f[32] = (uint8_t)(fl >> 8);
	f[29] = f[33] = (uint8_t)fl;
	f[34] = (uint8_t)((1024 + (fl >> 16)) >> 8);
	f[35] = (uint8_t)(1024 + (fl >> 16));
	if (++c->mac >= l->macs)
		c->mac = 0;
	if (++c->flow >= l->flows)
		c->flow = 0;
}

/* A fresh UDP frame of the current size leaving port `out`. */
static struct rte_mbuf *
tg_frame(uint16_t out)
{
	struct tg_live l = {
		__atomic_load_n(&live.macs, __ATOMIC_RELAXED),
		__atomic_load_n(&live.flows, __ATOMIC_RELAXED),
		__atomic_load_n(&live.size, __ATOMIC_RELAXED),
	};
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f;

	if (m == NULL)
		return NULL;
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)l.size);
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(f, 0, l.size);
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	f[22] = 64;  /* TTL */
	f[23] = 17;  /* UDP */
	f[26] = 198; f[27] = 18;
	f[30] = 198; f[31] = 19;
	f[36] = 0; f[37] = 9; /* discard */
	tg_set_lengths(f, l.size);
	tg_rewrite(f, out, &l);
	return m;
}

/* Frames sent and received over all ports: tx - rx are in flight. Only the
 * forwarding lcore touches these. */
static uint64_t tx_all, rx_all;

static void
tg_send(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);

	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	tx_all += sent;
	__atomic_store_n(&stats[port].tx, stats[port].tx + sent, __ATOMIC_RELAXED);
	if (sent < n)
		__atomic_store_n(&stats[port].drop, stats[port].drop + (n - sent), __ATOMIC_RELAXED);
}

/* Up to one burst of fresh frames on port p, while fewer than `want` are
 * in flight. */
static void
tg_top_up(uint16_t p, uint64_t want)
{
	struct rte_mbuf *b[TG_BURST];
	uint16_t n = 0;

	while (n < TG_BURST && tx_all + n - rx_all < want && (b[n] = tg_frame(p)) != NULL)
		n++;
	if (n > 0)
		tg_send(p, b, n);
}

static int
tg_forward(void *arg)
{
	const uint64_t want = (uint64_t)opts.inflight * n_ports;
	const uint64_t stall = rte_get_tsc_hz() / 1000 * opts.refill_ms;
	uint64_t last_rx = 0, last_progress = rte_rdtsc();
	uint32_t iter = 0;
	uint16_t next = 0;

	(void)arg;
	/* Inject: every port sends its share, in bursts. */
	for (uint16_t p = 0; p < n_ports; p++)
		for (uint32_t k = 0; k < opts.inflight; k += TG_BURST)
			tg_top_up(p, (uint64_t)opts.inflight * (p + 1));
	while (running) {
		/* Frames the switch dropped (a MAC limit, a full ring, a
		 * learning flood) never come back: put new ones in their place
		 * now and then, one port at a time, so the loop never dies out. */
		if ((++iter & 1023) == 0) {
			uint64_t now = rte_rdtsc();

			/* Nothing came back for --refill-ms: whatever is still
			 * counted in flight was dropped (a switch that drops
			 * most of a flood returns a trickle, then none). Too
			 * short, and a pause of the guest's CPU adds frames the
			 * rings cannot hold: the bench waits 100 ms, a flood
			 * test 1 ms. */
			if (rx_all != last_rx) {
				last_rx = rx_all;
				last_progress = now;
			} else if (now - last_progress > stall) {
				rx_all = tx_all;
				last_rx = rx_all;
				last_progress = now;
			}
			if (tx_all - rx_all < want) {
				tg_top_up(next, want);
				next = (uint16_t)((next + 1) % n_ports);
			}
		}
		for (uint16_t p = 0; p < n_ports; p++) {
			struct rte_mbuf *b[TG_BURST];
			uint16_t out = p ^ 1;
			uint16_t n = rte_eth_rx_burst(p, 0, b, TG_BURST);

			if (n == 0)
				continue;
			rx_all += n;
			__atomic_store_n(&stats[p].rx, stats[p].rx + n, __ATOMIC_RELAXED);
			struct tg_live l = {
				__atomic_load_n(&live.macs, __ATOMIC_RELAXED),
				__atomic_load_n(&live.flows, __ATOMIC_RELAXED),
				__atomic_load_n(&live.size, __ATOMIC_RELAXED),
			};

			for (uint16_t i = 0; i < n; i++) {
				struct rte_mbuf *m = b[i];

				if (rte_pktmbuf_data_len(m) < 42)
					continue;
				/* A new size: one segment, and the pool's rooms hold
				 * the largest (checked by the size command). */
				if (unlikely(m->pkt_len != l.size) && m->nb_segs == 1) {
					m->data_len = (uint16_t)l.size;
					m->pkt_len = l.size;
					tg_set_lengths(rte_pktmbuf_mtod(m, uint8_t *), l.size);
				}
				tg_rewrite(rte_pktmbuf_mtod(m, uint8_t *), out, &l);
			}
			tg_send(out, b, n);
		}
	}
	return 0;
}

static int
tg_port_init(uint16_t port)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	/* Frames as large as an mbuf holds (a `size` command may ask for them
	 * later): the MTU allows them, and an mbuf receives each whole. */
	uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;

	if (room > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
		conf.rxmode.mtu = RTE_MIN(room, 9728u) - RTE_ETHER_HDR_LEN;
		/* virtio counts its header and a VLAN tag against the mbuf too:
		 * the rare frame that does not fit comes chained. */
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, TG_RING, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, TG_RING, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, "fp_trafgen: port %u: %s\n", port, rte_strerror(-rc));
	return rc;
}

/* `macs N`, `flows N`, `size N`: from the next burst on. */
static void
tg_set(const char *line)
{
	const char *v = strchr(line, ' ') + 1;
	uint32_t n;

	if (line[0] == 's') {
		uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;

		if (tg_parse_u32(v, 60, room, &n) != 0) {
			printf("error: size must be 60..%u (the mbufs' room; see --mbuf-size)\n", room);
			return;
		}
		__atomic_store_n(&live.size, n, __ATOMIC_RELAXED);
	} else if (tg_parse_u32(v, 1, 1u << 24, &n) != 0) {
		printf("error: %s must be 1..%u\n", line[0] == 'm' ? "macs" : "flows", 1u << 24);
		return;
	} else {
		__atomic_store_n(line[0] == 'm' ? &live.macs : &live.flows, n, __ATOMIC_RELAXED);
	}
	printf("ok\n");
}

static void
tg_print_stats(void)
{
	uint64_t rx = 0, tx = 0, drop = 0;

	for (uint16_t p = 0; p < n_ports; p++) {
		rx += __atomic_load_n(&stats[p].rx, __ATOMIC_RELAXED);
		tx += __atomic_load_n(&stats[p].tx, __ATOMIC_RELAXED);
		drop += __atomic_load_n(&stats[p].drop, __ATOMIC_RELAXED);
	}
	printf("rx %" PRIu64 " tx %" PRIu64 " drop %" PRIu64 "\n", rx, tx, drop);
}

int
main(int argc, char **argv)
{
	char line[128];
	unsigned fwd_lcore;
	int used = rte_eal_init(argc, argv);

	if (used < 0) {
		fprintf(stderr, "fp_trafgen: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (tg_parse(argc - used - 1, argv + used + 1) != 0)
		return 2;
	n_ports = rte_eth_dev_count_avail();
	if (n_ports != 2u * opts.pairs) {
		fprintf(stderr, "fp_trafgen: %u ports, --pairs %u needs %u\n", n_ports, opts.pairs,
			2u * opts.pairs);
		return 2;
	}
	fwd_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (fwd_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "fp_trafgen: needs a second lcore to forward on\n");
		return 2;
	}
	{
		/* Every ring full plus what is in flight, with room to spare. */
		uint32_t n = n_ports * (2 * TG_RING + opts.inflight) + 4096;
		uint32_t room = opts.mbuf_size ? opts.mbuf_size :
				opts.size + RTE_PKTMBUF_HEADROOM > RTE_MBUF_DEFAULT_BUF_SIZE ?
				opts.size + RTE_PKTMBUF_HEADROOM : RTE_MBUF_DEFAULT_BUF_SIZE;

		pool = rte_pktmbuf_pool_create("trafgen", n, 256, 0, (uint16_t)room, rte_socket_id());
		if (pool == NULL) {
			fprintf(stderr, "fp_trafgen: mbuf pool of %u: %s\n", n, rte_strerror(rte_errno));
			return 1;
		}
	}
	for (uint16_t p = 0; p < n_ports; p++)
		if (tg_port_init(p) != 0)
			return 1;
	live.macs = opts.macs;
	live.flows = opts.flows;
	live.size = opts.size;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("fp_trafgen: %u pairs, %u MACs, %u flows, %u B frames, %u in flight per port\n" TG_PROMPT,
	       opts.pairs, opts.macs, opts.flows, opts.size, opts.inflight);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "start") == 0) {
			if (!running) {
				running = 1;
				rte_eal_remote_launch(tg_forward, NULL, fwd_lcore);
			}
		} else if (strcmp(line, "stats") == 0) {
			tg_print_stats();
		} else if (strncmp(line, "macs ", 5) == 0 || strncmp(line, "flows ", 6) == 0 ||
			   strncmp(line, "size ", 5) == 0) {
			tg_set(line);
		} else if (strcmp(line, "quit") == 0) {
			break;
		} else if (line[0] != '\0') {
			printf("unknown command: %s\n", line);
		}
		printf(TG_PROMPT);
	}
	running = 0;
	rte_eal_mp_wait_lcore();
	for (uint16_t p = 0; p < n_ports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
