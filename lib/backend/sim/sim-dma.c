/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's DMA engine, its requests: each page translates
 * (sim-dma-translate.c) and is copied, page by page, stopping at the first
 * page that does not translate; that page raises a fault
 * (sim-dma-fault.c), and a request waiting for a page response is
 * collected here (poll, wait) once the answer resumed or ended it.
 *
 * A request stays inside the sim: the device comes from the sim's table,
 * what (device, PASID) is attached to from its routes, the tables and the
 * fault queue from the HWPT's sim_hwpt, all resolved when the attachment
 * or the HWPT changed (sim-hwpt.c). The core is called only to raise a
 * fault and to word an error.
 */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "sim-dma.h"
#include "sim-guard.h"
#include "sim-private.h"
#include "sim-viommu.h"
#include "core/trace-private.h"

#define X(v) ((unsigned long long)(v))

/* End a request; @ctx's current message says why when @err is set. */
void sim_dma_finish(struct ioasid_ctx *ctx, struct sim_pending *p, int err)
{
	p->err = err;
	if (err)
		snprintf(p->why, sizeof(p->why), "%s", ioasid_ctx_errmsg(ctx));
	/* published last: a waiter spinning without the lock reads it */
	__atomic_store_n(&p->state, SIM_DMA_DONE, __ATOMIC_RELEASE);
}

/*
 * Before sleeping on the condition variable, spin a little without the
 * lock: the owner usually answers within microseconds, and a futex sleep
 * and wake-up cost more than that (the fault round-trip benchmark shows
 * it). Bounded backoff: pause-spin for up to SPIN_NS, then the caller
 * sleeps; so a slow owner costs at most SPIN_NS of one CPU. When the
 * owner of a polled queue runs on this very CPU (it says where it polls),
 * spinning only delays it: the device yields the CPU to it instead, each
 * time round, within the same bound.
 *
 * A polled queue's owner answers on its ring, without the lock: the
 * answer is applied by whoever looks. While spinning, the device looks
 * whenever the context's response doorbell moves, so the request it
 * waits for completes here, without a wake-up.
 */
#define SPIN_NS 40000ull

/*
 * @bell: the doorbell read before the caller's last look at the rings
 * (under the lock): an answer that came after that look moved it since.
 */
static void spin_until_done(struct ioasid_ctx *ctx, const struct sim_pending *p, uint64_t bell)
{
	uint64_t start = 0, b;
	bool yield = fault_ring_owner_here(ctx);
	unsigned int i;

	for (;;) {
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SIM_DMA_PENDING)
				return;
			b = fault_ring_doorbell(ctx);
			/* the lock taken (by the owner, mapping): look again later */
			if (b != bell && pthread_mutex_trylock(&ctx->lock) == 0) {
				bell = b;
				fault_ring_drain_all(ctx);
				ctx_unlock(ctx);
				continue;
			}
			if (yield)
				sched_yield();
#if defined(__x86_64__) || defined(__i386__)
			else
				__builtin_ia32_pause();
#endif
		}
		/* timed from the first 64 looks on: most waits end within them */
		if (!start)
			start = mono_now_ns();
		else if (mono_now_ns() - start > SPIN_NS)
			return;
		yield = fault_ring_owner_here(ctx);
	}
}

/*
 * Translate and copy from p->done on. A failure either raises a page
 * request group (PRI device, queue on the HWPT: the request stays pending)
 * or an unrecoverable record, and ends the request.
 */
int sim_dma_run(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending *p)
{
	/* the submitter looked the device up already; a resumed request has not */
	struct sim_dev *sd = p->sd ? p->sd : sim_dev_of(sim, p->dev);
	int err = 0;

	if (!sd) {
		ioasid_err(ctx, -ENODEV, "device %u of DMA %llu went away", p->dev, X(p->handle));
		sim_dma_finish(ctx, p, -ENODEV);
		return -ENODEV;
	}
	while (p->done < p->len) {
		uint64_t at = p->iova + p->done, n;
		struct sim_fault_info fi = { 0 };
		struct sim_xlate x;

		if (p->done && at < p->iova) {
			err = ioasid_err(ctx, -EFAULT, "DMA of %zu bytes from 0x%llx wraps", p->len,
					 X(p->iova));
			break;
		}
		err = sim_translate(ctx, sim, sd, p->pasid, at, p->flags, &x, &fi);
		if (err) {
			sim->faults++;
			err = sim_dma_fault(ctx, sim, sd, p, at, err, &fi);
			if (err == -EAGAIN)
				return err; /* waiting for the page request's answer */
			break;
		}
		n = IOASID_MIN((uint64_t)(p->len - p->done), x.page_size - (at & (x.page_size - 1)));
		err = sim_guard_dma(ctx, x.host, p->buf + p->done, n,
				    p->flags & IOASID_SIM_DMA_WRITE, at);
		if (err)
			break;
		p->done += n;
		sim->dma_bytes += n;
	}
	sim_dma_finish(ctx, p, err);
	return err;
}

static struct sim_pending *pending_find(struct sim_ctx *sim, uint64_t handle,
					struct sim_pending ***ret_pp)
{
	struct sim_pending **pp;

	for (pp = &sim->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->handle == handle) {
			if (ret_pp)
				*ret_pp = pp;
			return *pp;
		}
	}
	return NULL;
}

/* Hand a finished request's result back (with a message) and forget it. */
static int pending_collect(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending **pp,
			   size_t *ret_done)
{
	struct sim_pending *p = *pp;
	int err = p->err;

	if (err)
		ioasid_err(ctx, err, "%s", p->why);
	if (ret_done)
		*ret_done = p->done;
	*pp = p->next;
	if (sim->pending_tail == &p->next)
		sim->pending_tail = pp;
	ioasid_free(p);
	return err;
}

#define DMA_FLAGS (IOASID_SIM_DMA_WRITE | IOASID_SIM_DMA_PRIV | IOASID_SIM_DMA_EXEC)

/* The request attributes a device can send (sim.h, IOASID_SIM_DMA_*). */
static int check_rflags(struct ioasid_ctx *ctx, uint32_t pasid, uint32_t rflags)
{
	if (rflags & ~DMA_FLAGS)
		return ioasid_err(ctx, -EINVAL, "unknown DMA request flags 0x%x",
				  rflags & ~DMA_FLAGS);
	if ((rflags & (IOASID_SIM_DMA_PRIV | IOASID_SIM_DMA_EXEC)) && pasid == IOASID_PASID_NONE)
		return ioasid_err(ctx, -EINVAL,
				  "%s request needs a PASID: PCIe carries PR and ER in the PASID prefix",
				  (rflags & IOASID_SIM_DMA_PRIV) ? "a privileged" : "an execute");
	if ((rflags & IOASID_SIM_DMA_EXEC) && (rflags & IOASID_SIM_DMA_WRITE))
		return ioasid_err(ctx, -EINVAL, "an execute request is a read, not a write");
	return 0;
}

static char *put_dec(char *at, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*at++ = tmp[--n];
	return at;
}

static char *put_hex(char *at, uint64_t v)
{
	char tmp[16];
	int n = 0;

	do
		tmp[n++] = "0123456789abcdef"[v & 15];
	while ((v >>= 4));
	while (n)
		*at++ = tmp[--n];
	return at;
}

/*
 * -EAGAIN for a submitted DMA that waits for a page response, with its
 * message worded by hand: every DMA of a batch of faults says it, and
 * printf's formatting was a seventh of such a batch's time
 * (tests/bench/fault, perf).
 */
static int waits_msg(struct ioasid_ctx *ctx, const struct sim_pending *p)
{
	static const char a[] = "DMA ", b[] = " waits for page request group ", c[] = " at 0x";
	char msg[sizeof(a) + sizeof(b) + sizeof(c) + 20 + 20 + 16], *at = msg;

	memcpy(at, a, sizeof(a) - 1);
	at = put_dec(at + sizeof(a) - 1, p->handle);
	memcpy(at, b, sizeof(b) - 1);
	at = put_dec(at + sizeof(b) - 1, p->cookie);
	memcpy(at, c, sizeof(c) - 1);
	at = put_hex(at + sizeof(c) - 1, p->iova + p->done);
	*at = 0;
	return ioasid_err(ctx, -EAGAIN, "%s", msg);
}

/*
 * Start a DMA. With @ret_p (the synchronous path, whose caller waits at
 * once) a request left waiting is returned there, valid until its handle
 * is collected, and its -EAGAIN carries no message: formatting one under
 * the lock would only hold up the owner, who takes the lock to map.
 */
static int dma_start(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		     void *buf, size_t len, uint32_t rflags, uint64_t *ret_handle, size_t *ret_done,
		     struct sim_pending **ret_p)
{
	struct sim_pending onstack, *p, **pp;
	struct sim_dev *sd;
	struct sim_ctx *sim;
	int err;

	if (ret_done)
		*ret_done = 0;
	if (!ctx)
		return -EINVAL;
	if (len && !buf)
		return ioasid_err(ctx, -EINVAL, "DMA buffer is NULL for %zu bytes", len);
	err = check_rflags(ctx, pasid, rflags);
	if (err)
		return err;
	ctx_lock(ctx);
	/* a fault's owner is woken once the lock is free for it to map (fault-private.h) */
	fault_ring_defer_wakes();
	TRACE(ctx, trace_contents_before(ctx));
	sim = sim_ctx_of(ctx);
	if (!sim) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "DMA is simulated only on a sim context");
		goto out;
	}
	sd = sim_dev_of(sim, dev_id);
	if (!sd) {
		err = obj_missing(ctx, dev_id, IOASID_OBJ_DEV);
		goto out;
	}
	/*
	 * The request lives on the stack while it runs: most DMAs complete at
	 * once, and an allocation per DMA would cost more than the hit path.
	 * Only a request that must wait for a page response moves to the heap
	 * (sim_dma_fault() does that before it raises the group).
	 */
	sim_pending_clear(&onstack);
	p = &onstack;
	p->dev = dev_id;
	p->pasid = pasid;
	p->iova = iova;
	p->buf = buf;
	p->len = len;
	p->flags = rflags;
	p->state = SIM_DMA_PENDING;
	p->on_stack = true;
	p->sd = sd;
	if (rflags & IOASID_SIM_DMA_WRITE)
		sim->dma_writes++;
	else
		sim->dma_reads++;
	sim_dma_run(ctx, sim, p);
	if (p->moved) {
		p = p->moved;
		/*
		 * Appended: a waiter collects the oldest first (a batch is
		 * waited for in the order it was submitted), so that its look-up
		 * ends at the head of the list, not 64 entries down.
		 */
		if (!sim->pending)
			sim->pending_tail = &sim->pending;
		pp = sim->pending_tail;
		p->handle = ++sim->next_handle;
		p->next = NULL;
		*pp = p;
		sim->pending_tail = &p->next;
		if (p->state == SIM_DMA_PENDING) {
			if (ret_handle)
				*ret_handle = p->handle;
			if (ret_done)
				*ret_done = p->done;
			if (ret_p) {
				*ret_p = p;
				err = -EAGAIN;
				goto out;
			}
			err = waits_msg(ctx, p);
			goto out;
		}
		err = pending_collect(ctx, sim, pp, ret_done);
		goto out;
	}
	if (ret_done)
		*ret_done = p->done;
	err = p->err;
out:
	TRACE(ctx, trace_dma(ctx, dev_id, pasid, iova, buf, len, rflags, ret_handle, ret_done, err));
	ctx_unlock(ctx);
	fault_ring_flush_wakes();
	return err;
}

IOASID_EXPORT int ioasid_sim_dma_poll(struct ioasid_ctx *ctx, uint64_t handle, size_t *ret_done)
{
	struct sim_pending *p, **pp;
	struct sim_ctx *sim;
	int err;

	if (!ctx)
		return -EINVAL;
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	TRACE(ctx, trace_contents_before(ctx));
	fault_ring_drain_all(ctx); /* answers a polled queue's owner left on its ring */
	if (!(p = pending_find(sim, handle, &pp)))
		err = ioasid_err(ctx, -ENOENT, "no DMA request with handle %llu", X(handle));
	else if (p->state == SIM_DMA_PENDING) {
		if (ret_done)
			*ret_done = p->done;
		err = ioasid_err(ctx, -EAGAIN, "DMA %llu still waits for page request group %llu",
				 X(handle), X(p->cookie));
	} else
		err = pending_collect(ctx, sim, pp, ret_done);
	TRACE(ctx, trace_dma_collect(ctx, false, handle, ret_done, err));
	ctx_unlock(ctx);
	return err;
}

static int dma_submit(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		      void *buf, size_t len, uint32_t rflags, uint64_t *ret_handle, size_t *ret_done)
{
	return dma_start(ctx, dev_id, pasid, iova, buf, len, rflags, ret_handle, ret_done, NULL);
}

static int dma_wait(struct ioasid_ctx *ctx, uint64_t handle, uint64_t timeout_ns, size_t *ret_done,
		    bool spun);

IOASID_EXPORT int ioasid_sim_dma_wait(struct ioasid_ctx *ctx, uint64_t handle,
				      uint64_t timeout_ns, size_t *ret_done)
{
	return dma_wait(ctx, handle, timeout_ns, ret_done, timeout_ns == 0);
}

/* @spun: the caller spun already (or must not): wait on the condition at once. */
static int dma_wait(struct ioasid_ctx *ctx, uint64_t handle, uint64_t timeout_ns, size_t *ret_done,
		    bool spun)
{
	struct sim_pending *p, **pp;
	struct timespec ts;
	struct sim_ctx *sim;
	uint64_t deadline;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	/* no clock read for a wait without end (tens of ns here, per DMA of a batch) */
	deadline = UINT64_MAX;
	if (timeout_ns != UINT64_MAX)
		deadline = mono_deadline(timeout_ns, &ts);
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	TRACE(ctx, trace_contents_before(ctx));
	for (;;) {
		p = pending_find(sim, handle, &pp);
		if (!p) {
			err = ioasid_err(ctx, -ENOENT, "no DMA request with handle %llu", X(handle));
			break;
		}
		if (p->state != SIM_DMA_PENDING) {
			err = pending_collect(ctx, sim, pp, ret_done);
			break;
		}
		if (!spun) {
			uint64_t bell = fault_ring_doorbell(ctx);

			fault_ring_drain_all(ctx);
			if (p->state != SIM_DMA_PENDING)
				continue;
			/* only this handle's waiter frees @p: it stays valid */
			spun = true;
			ctx_unlock(ctx);
			spin_until_done(ctx, p, bell);
			ctx_lock(ctx);
			continue;
		}
		/*
		 * Counted as asleep before the last look at the rings, so that a
		 * polled queue's owner answering from now on applies its answer
		 * itself, under the lock we hold until the wait releases it
		 * (fault-ring.c): no answer is left on a ring with nobody to see it.
		 */
		fault_ring_sleep_begin(ctx);
		if (p->state != SIM_DMA_PENDING) {
			fault_ring_sleep_end(ctx);
			continue;
		}
		if (deadline == UINT64_MAX) {
			pthread_cond_wait(&ctx->fault_cond, &ctx->lock);
			fault_ring_sleep_end(ctx);
		} else if (pthread_cond_timedwait(&ctx->fault_cond, &ctx->lock, &ts) == ETIMEDOUT) {
			fault_ring_sleep_end(ctx);
			fault_ring_drain_all(ctx);
			p = pending_find(sim, handle, &pp);
			if (p && p->state == SIM_DMA_PENDING) {
				if (ret_done)
					*ret_done = p->done;
				err = ioasid_err(ctx, -ETIMEDOUT,
						 "DMA %llu still waits for a page response after %llu ns",
						 X(handle), X(timeout_ns));
				break;
			}
		} else {
			fault_ring_sleep_end(ctx);
		}
	}
	TRACE(ctx, trace_dma_collect(ctx, true, handle, ret_done, err));
	ctx_unlock(ctx);
	return err;
}

/*
 * The hot path of a synchronous DMA: a paging HWPT whose cached
 * translation covers the whole transfer with the access it needs. It does
 * exactly what sim_translate() + the copy loop would do on that path, minus
 * their generality (which costs more than a 4 KiB copy). Returns 1 when it
 * did the DMA, 0 when the general path must run. Called with the lock held.
 */
static int dma_fast(struct sim_ctx *sim, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		    void *buf, size_t len, bool write)
{
	struct sim_dev *sd = sim_dev_of(sim, dev_id);
	const struct sim_iotlb_entry *e;
	struct sim_ctx_entry *ce;
	struct sim_hwpt *sh;
	uint64_t psz, host;

	if (!sd || !len)
		return 0;
	ce = &sd->ctx_cache[pasid % SIM_CTX_CACHE];
	if (ce->gen != sim->ctx_gen || ce->pasid != pasid)
		return 0;
	sh = ce->sh;
	if (!sh->paging || (write && (sh->dirty || sh->hw_dirty)))
		return 0;
	e = cached_lookup(sim, sd, sh->id, pasid, iova);
	if (!e || !(e->perm & (write ? SIM_PT_W : SIM_PT_R)))
		return 0;
	psz = sim_iotlb_entry_size(e);
	if ((iova & (psz - 1)) + len > psz)
		return 0;
	host = e->oa + (iova & (psz - 1));
	/* memory the VMM took away: the general path words the refusal */
	if (write ? sim_guard_copy((void *)(uintptr_t)host, buf, len, true) :
		    sim_guard_copy(buf, (const void *)(uintptr_t)host, len, false))
		return 0;
	sim->ctx_cache_hits++;
	if (write)
		sim->dma_writes++;
	else
		sim->dma_reads++;
	sim->dma_bytes += len;
	return 1;
}

/* A DMA that blocks until it ends: the hot path, else submit + wait. */
static int dma_sync(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		    void *buf, size_t len, uint32_t rflags, size_t *ret_done)
{
	struct sim_pending *p = NULL;
	struct sim_ctx *sim;
	uint64_t handle, bell;
	int err;

	if (ctx && buf && !(rflags & ~IOASID_SIM_DMA_WRITE)) {
		ctx_lock(ctx);
		TRACE(ctx, trace_contents_before(ctx));
		sim = sim_ctx_of(ctx);
		if (sim &&
		    dma_fast(sim, dev_id, pasid, iova, buf, len, rflags & IOASID_SIM_DMA_WRITE)) {
			TRACE(ctx,
			      trace_dma(ctx, dev_id, pasid, iova, buf, len, rflags, NULL, &len, 0));
			ctx_unlock(ctx);
			if (ret_done)
				*ret_done = len;
			return 0;
		}
		ctx_unlock(ctx);
	}

	/*
	 * Read before the request can raise its group: an answer to it moves
	 * the doorbell after this. The first spin needs no lock (the owner,
	 * mapping, holds it just then): only this caller collects @p.
	 */
	bell = ctx ? fault_ring_doorbell(ctx) : 0;
	err = dma_start(ctx, dev_id, pasid, iova, buf, len, rflags, &handle, ret_done, &p);
	if (err == -EAGAIN) {
		spin_until_done(ctx, p, bell);
		err = dma_wait(ctx, handle, UINT64_MAX, ret_done, true);
	}
	return err;
}

IOASID_EXPORT int ioasid_sim_dma_submit(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
					uint64_t iova, void *buf, size_t len, bool write,
					uint64_t *ret_handle, size_t *ret_done)
{
	return dma_submit(ctx, dev, pasid, iova, buf, len, write ? IOASID_SIM_DMA_WRITE : 0,
			  ret_handle, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_submit_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
					      uint64_t iova, void *buf, size_t len, uint32_t flags,
					      uint64_t *ret_handle, size_t *ret_done)
{
	return dma_submit(ctx, dev, pasid, iova, buf, len, flags, ret_handle, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				 uint64_t iova, void *buf, size_t len, bool write, size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, write ? IOASID_SIM_DMA_WRITE : 0, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				       uint64_t iova, void *buf, size_t len, uint32_t flags,
				       size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, flags, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_read(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				      uint64_t iova, void *buf, size_t len, size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, 0, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_write(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				       uint64_t iova, const void *buf, size_t len,
				       size_t *ret_done)
{
	/* the engine only reads @buf for a write */
	return dma_sync(ctx, dev, pasid, iova, (void *)(uintptr_t)buf, len, IOASID_SIM_DMA_WRITE,
			ret_done);
}
