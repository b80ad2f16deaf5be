/* ui/hubtask.c: Hub calls on a worker thread (see hubtask.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "draw.h"
#include "hubtask.h"

/* One task: shared by the main thread and its worker under `mu` until
 * one of them lets go (done and delivered, or abandoned by Esc and then
 * freed by the worker). */
typedef struct task {
    pthread_mutex_t mu;
    volatile int cancel;         /* read by the engine's hook on the worker */
    int done, abandoned;
    double t0;
    char what[600];
    ht_done_fn cb;
    ht_result r;
} task;

static task *g_task;             /* the running task (main thread's view), or NULL */

static int cancel_hook(void *ud, const ckpt_progress *p)
{
    (void)p;
    return ((task *)ud)->cancel;
}

static void result_free(ht_result *r)
{
    for (int i = 0; i < r->nids; i++) free(r->ids[i]);
    free(r->ids);
    r->ids = NULL;
    r->nids = 0;
    ckpt_hub_listing_free(r->listing);
    r->listing = NULL;
    if (r->model) ckpt_close(r->model);
    r->model = NULL;
    free(r->errline);
    r->errline = NULL;
}

static void task_free(task *t)
{
    result_free(&t->r);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* a remote file's format and counts, as the browser shows them */
static void run_probe(ht_result *r)
{
    r->ntensors = -1;
    const char *f = ckpt_detect(r->arg, &r->err);
    if (!f) return;  /* not a checkpoint (or unreachable): shown plain */
    snprintf(r->fmt, sizeof r->fmt, "%s", f);
    ckpt_model *m = NULL;
    ckpt_err_clear(&r->err);
    if (ckpt_open(r->arg, &m, &r->err)) {
        char line[1400];
        ckpt_err_line(&r->err, line, sizeof line);
        r->errline = strdup(line);
        return;
    }
    int nopt;
    model_tensor_counts(m, &r->ntensors, &nopt);
    r->nparams = ckpt_model_nparams(m);
    ckpt_close(m);
}

static void run_call(task *t)
{
    ht_result *r = &t->r;
    ckpt_err_clear(&r->err);
    switch (r->kind) {
    case HT_SEARCH: r->rc = ckpt_hub_search(r->arg, 200, &r->ids, &r->nids, &r->err); break;
    case HT_LIST: r->rc = ckpt_hub_list(r->arg, &r->listing, &r->err); break;
    case HT_OPEN: r->rc = ckpt_open(r->arg, &r->model, &r->err); break;
    case HT_PROBE: run_probe(r); break;
    }
}

static void *worker(void *arg)
{
    task *t = arg;
    ckpt_hub_set_progress(cancel_hook, t);
    run_call(t);
    ckpt_hub_set_progress(NULL, NULL);
    pthread_mutex_lock(&t->mu);
    int gone = t->abandoned;
    t->done = 1;
    pthread_mutex_unlock(&t->mu);
    if (gone) task_free(t);      /* nobody will read it */
    return NULL;
}

static int quiet(const task *t) { return t->r.kind == HT_PROBE; }

int hubtask_busy(void) { return g_task && !quiet(g_task); }
int hubtask_running(void) { return g_task != NULL; }

/* drop the running task: its worker frees it when it returns */
static void abandon(void)
{
    task *t = g_task;
    g_task = NULL;
    pthread_mutex_lock(&t->mu);
    t->cancel = 1;
    t->abandoned = 1;
    int done = t->done;
    pthread_mutex_unlock(&t->mu);
    if (done) task_free(t);      /* it had finished: the worker left it to us */
}

int hubtask_start(ht_kind kind, const char *arg, int flag, const char *what, ht_done_fn done)
{
    if (g_task && quiet(g_task) && kind != HT_PROBE) abandon();   /* the user's call first */
    if (g_task) {
        if (kind != HT_PROBE) app_err("busy: %s (Esc cancels)", g_task->what);
        return -1;
    }
    task *t = calloc(1, sizeof *t);
    if (!t) { app_err("out of memory"); return -1; }
    pthread_mutex_init(&t->mu, NULL);
    t->r.kind = kind;
    t->r.flag = flag;
    snprintf(t->r.arg, sizeof t->r.arg, "%s", arg);
    snprintf(t->what, sizeof t->what, "%s", what);
    t->cb = done;
    t->t0 = now_sec();
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &at, worker, t);
    pthread_attr_destroy(&at);
    if (rc) {
        app_err("cannot start a thread: %s", strerror(rc));
        task_free(t);
        return -1;
    }
    g_task = t;
    return 0;
}

int hubtask_poll(void)
{
    task *t = g_task;
    if (!t) return 0;
    pthread_mutex_lock(&t->mu);
    int done = t->done;
    pthread_mutex_unlock(&t->mu);
    if (!done) return 0;
    g_task = NULL;               /* before the callback: it may start the next task */
    if (!quiet(t)) A.msg[0] = 0;
    if (t->cb) t->cb(&t->r);     /* takes what it keeps (and NULLs it) */
    task_free(t);
    return 1;
}

void hubtask_cancel(void)
{
    task *t = g_task;
    if (!t || quiet(t)) return;
    char what[sizeof t->what];
    snprintf(what, sizeof what, "%s", t->what);
    abandon();
    app_msg("cancelled: %s", what);
}

void hubtask_status(char *buf, size_t n)
{
    static const char *const spin_u[] = {"\u280b", "\u2819", "\u2839", "\u2838", "\u283c", "\u2834", "\u2826", "\u2827", "\u2807", "\u280f"};
    static const char *const spin_a[] = {"|", "/", "-", "\\"};
    task *t = g_task;
    if (!t || quiet(t)) { if (n) buf[0] = 0; return; }
    double el = now_sec() - t->t0;
    int f = (int)(el * 10);
    const char *s = A.utf8 ? spin_u[f % 10] : spin_a[f % 4];
    snprintf(buf, n, "%s %s  %.1f s  Esc cancels", s, t->what, el);
}

void hubtask_shutdown(void)
{
    task *t = g_task;
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    t->cancel = 1;
    pthread_mutex_unlock(&t->mu);
    /* curl notices within a second; then deliver nothing, free it all */
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&t->mu);
        int done = t->done;
        pthread_mutex_unlock(&t->mu);
        if (done) { g_task = NULL; task_free(t); return; }
        usleep(10000);
    }
    abandon();                   /* still stuck: let the worker free it */
}
