/* ui/hubtask.h: Hub calls (search, repo listing, opening a hf:// model) on
 * a worker thread, so the screen keeps answering keys while the network
 * is slow or down.
 *
 * One task at a time. The worker runs the engine's blocking call with the
 * thread's cancel hook set (ckpt_hub_set_progress); the main loop polls
 * (hubtask_poll) and hands the result to the task's `done` callback on the
 * main thread. Esc (hubtask_cancel) sets the hook's cancel flag and drops
 * the task at once: the worker finishes on its own (curl aborts within a
 * second), frees what it got and exits. */
#ifndef CKPT_UI_HUBTASK_H
#define CKPT_UI_HUBTASK_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/err.h"
#include "ckpt/hub.h"
#include "ckpt/model.h"

/* HT_PROBE is quiet: no status line, no Esc; any other task replaces it
 * (it is dropped, and the caller probes again later). */
typedef enum ht_kind { HT_SEARCH, HT_LIST, HT_OPEN, HT_PROBE } ht_kind;

typedef struct ht_result {
    ht_kind kind;
    char arg[4096];              /* query, or hf:// URL */
    int flag;                    /* the caller's, handed back */
    int rc;
    ckpt_err err;
    char **ids;                  /* HT_SEARCH: repo ids (the callback owns them) */
    int nids;
    ckpt_hub_listing *listing;   /* HT_LIST (the callback owns it) */
    ckpt_model *model;           /* HT_OPEN (the callback owns it) */
    char fmt[32];                /* HT_PROBE: the format, "" if none */
    int ntensors;                /* HT_PROBE: weights as `ckpt info` counts them, -1 */
    uint64_t nparams;
    char *errline;               /* HT_PROBE: why it does not open (the callback owns it) */
} ht_result;

typedef void (*ht_done_fn)(ht_result *r);

/* Start `kind` on arg; `what` is the status line text ("searching the Hub
 * for 'x'"). -1 (with the status line saying so) when a task runs. */
int hubtask_start(ht_kind kind, const char *arg, int flag, const char *what, ht_done_fn done);
int hubtask_busy(void);          /* a task the user started runs */
int hubtask_running(void);       /* any task runs (a quiet probe too) */
/* Main thread: a finished task delivered to its callback (1), or none (0). */
int hubtask_poll(void);
/* Esc: cancel the running task; the status line says so. */
void hubtask_cancel(void);
/* "⠹ searching the Hub for 'x'  3.2 s  Esc cancels" while busy. */
void hubtask_status(char *buf, size_t n);
/* At exit: cancel and give the worker a moment to finish. */
void hubtask_shutdown(void);

#endif
