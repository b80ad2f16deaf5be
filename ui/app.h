/* ui/app.h: the TUI's shared state and the screens' entry points.
 *
 * tui.c owns the loop: it reads a key, hands it to the current screen's
 * X_key(), which returns reaction bits (htop's HandlerResult); the loop
 * then draws the whole frame with the screen's X_draw() and ends with one
 * doupdate(). Long work (statistics, conversion) runs on one background
 * thread (job below); while it runs the loop waits for keys with a
 * timeout so it can show progress; otherwise it blocks.
 */
#ifndef CKPT_UI_APP_H
#define CKPT_UI_APP_H

#include <pthread.h>
#include <stdint.h>

#include "ckpt/convert.h"
#include "ckpt/err.h"
#include "ckpt/model.h"
#include "ckpt/progress.h"
#include "ckpt/stats.h"

typedef enum screen_id {
    SCR_BROWSER,
    SCR_MODEL,
    SCR_CHECK,
    SCR_REMAP,
    SCR_CONVERT,
    SCR_PROGRESS,
} screen_id;

/* reaction bits returned by key handlers */
enum {
    R_NONE = 0,
    R_REDRAW = 1,   /* draw the frame */
    R_CLEAR = 2,    /* repaint the whole terminal (clearok) */
    R_QUIT = 4,
};

typedef enum job_kind { JOB_NONE, JOB_STATS, JOB_CONVERT } job_kind;

/* The one background task. The worker writes progress and the result
 * under `mu`; the UI thread reads them under `mu` and joins the thread
 * once `done` is set. `cancel` is read by the worker's progress callback. */
typedef struct job {
    job_kind kind;
    int running;            /* thread started, not joined yet */
    pthread_t th;
    pthread_mutex_t mu;
    volatile int cancel;
    int done;
    double t0, t_end;
    /* progress snapshot */
    uint64_t bytes_done, bytes_total;
    int items_done, items_total;
    char current[256];
    /* result */
    int rc;
    ckpt_err err;
    int tensor;             /* JOB_STATS */
    ckpt_stats stats;
    ckpt_convert_opts copts;/* JOB_CONVERT (strings owned by the convert view) */
    ckpt_convert_result cres;
} job;

typedef struct app {
    int utf8, color;
    screen_id screen;
    int help;                   /* help overlay open */
    int help_top;
    char msg[1024];             /* status line message (until the next key) */
    int msg_err;
    ckpt_model *m;              /* the open model, or NULL */
    char model_path[4096];
    int nt_weights, nt_opt;     /* tensors of the open model without / with the optimizer flag */
    int have_browser;           /* q from the model goes back to the browser */
    job job;
    int spin;                   /* spinner frame */
    volatile int quit_signal;   /* SIGINT/SIGTERM seen */
    int slow_ms;                /* CKPT_TUI_SLOW_MS: test knob, sleep per progress call */
} app;

extern app A;

/* status line */
void app_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void app_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void app_err_ckpt(const ckpt_err *e);

/* Open a model (closing the previous one); on failure shows its one-line
 * error and returns -1, leaving the current screen as it was. */
int app_open_model(const char *path);
/* The same, a hf:// path in the background (hubtask.c); -1 if it could not start. */
int app_open_model_bg(const char *path);
void app_close_model(void);
/* Tensors that are weights and those that are optimizer state (as `ckpt info` counts them). */
void model_tensor_counts(const ckpt_model *m, int *nweights, int *nopt);
/* Bytes of all the files of a model (what it takes on disk). */
uint64_t model_file_bytes(const ckpt_model *m);
void tui_next_theme(void);        /* 't': cycle the themes found */

/* background job */
int job_busy(void);
int job_start_stats(int tensor);
int job_start_convert(void);        /* A.job.copts filled by the caller */
void job_cancel(void);
int job_poll(void);                 /* UI thread: join and deliver a finished job; 1 if one was */

/* header and hint bar, shared by screens */
void draw_header(void);
void draw_hints(const char *const *pairs); /* NULL-terminated "key", "what", ... */
void draw_status(void);
void draw_frame_now(void);  /* draw and show the frame before a slow call */

/* ---- screens ---- */
int browser_init(const char *dir);
/* List a Hub repo's files in the background (hubtask.c); open_model: then
 * open its model (1: if listed, 2: in any case) */
void browser_go_remote(const char *url, int open_model);
void browser_free(void);
void browser_refresh(void);         /* re-read the folder shown, keeping the selection */
void browser_draw(void);
int browser_key(int key);
int browser_click(int y, int x);    /* select the row at y; 1 if one was hit */
int browser_pending(void);          /* a visible entry is not probed yet */
int browser_idle(void);             /* probe one entry; 1 if the screen changed */
int browser_prompt_open(void);      /* the search / go-to prompt takes the keys */

void tree_attach(ckpt_model *m);    /* new model: reset the tree */
void tree_detach(void);
int tree_filter_pending(void);      /* the filter is still scanning names */
int tree_filter_step(void);         /* scan ~4 ms more (less when a key waits); 1 if the matches changed */
int tui_key_waiting(void);          /* a key is waiting to be read (tui.c) */
void model_draw(void);              /* header + tree + detail */
int model_key(int key);
int model_click(int y, int x);      /* select the row (or pane) at y, x; 1 if hit */
void tree_jump_tensor(int t);       /* expand its ancestors and select it */
int tree_selected_tensor(void);     /* -1 if a group is selected */
int tree_selected_node(void);
const ckpt_node *tree_node(int n);  /* node n as made so far (the tree unfolds as shown), or NULL */

void tensor_detail_draw(int y, int x, int h, int w, int node, int focused);
int tensor_detail_key(int key);
void tensor_stats_request(int t);
void tensor_stats_deliver(int t, const ckpt_stats *s);
void tensor_stats_reset(void);

void check_open(void);
void check_draw(void);
int check_key(int key);
void check_reset(void);

void remap_open(void);
void remap_draw(void);
int remap_key(int key);
void remap_reset(void);
/* Rules text from the editor ("" if none), for the convert dialog. */
const char *remap_rules_text(void);

void convert_open(void);
void convert_draw(void);
int convert_key(int key);

void progress_draw(void);
int progress_key(int key);
void progress_finished(void);       /* job_poll: conversion ended */

void help_draw(void);
int help_key(int key);

#endif
