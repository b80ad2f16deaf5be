/* ui/serve.h: `ckpt serve`, Cog's prediction API over libmicrohttpd.
 * cmd_serve.c: options, the HTTP routes, request logs, SIGTERM.
 * serve_job.c: the predictions: a table, one worker thread each running a
 * `ckpt convert --package zip --verify` child, webhooks, outputs. */
#ifndef CKPT_UI_SERVE_H
#define CKPT_UI_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "ckpt/serve.h"

enum { PS_STARTING, PS_PROCESSING, PS_SUCCEEDED, PS_FAILED, PS_CANCELED };

typedef struct serve_cfg {
    const char *root;          /* local inputs only under here (NULL: none) */
    const char *output_dir;    /* outputs left here, path returned (NULL: data URL) */
    int jobs;                  /* predictions running at once */
    double grace;              /* SIGTERM: seconds running jobs may finish in */
    size_t max_body;           /* request bytes */
    unsigned long long max_output;  /* zip bytes returned or kept */
    const char *tmp;           /* private scratch folder (removed at exit) */
} serve_cfg;

typedef struct pred {
    char id[80];
    ckpt_predict_req req;
    char *input_json;          /* the request's "input", for responses */
    int status, async, cancel, refs;
    char *output, *error;
    char *logs;
    size_t nlogs;
    double created, started, completed;
    pid_t pid;
    char *out_path;            /* the zip the child writes */
    char *work;                /* this job's scratch folder */
    struct pred *next;
} pred;

extern serve_cfg S;
extern pthread_mutex_t serve_mu;
extern pthread_cond_t serve_cv;

/* Start a prediction (takes req). NULL with *http set (503 full, 409 id
 * taken, 500) and why filled. The caller holds one reference. */
pred *serve_start(ckpt_predict_req *req, const char *input_json, int async, int *http, char *why, size_t wn);
/* The prediction with this id, with a reference taken, or NULL. */
pred *serve_find(const char *id);
void serve_unref(pred *p);
/* Wait (under serve_mu) until p is finished. */
void serve_wait(pred *p);
/* Cancel: the child gets SIGTERM (it removes its temporaries). */
void serve_cancel(pred *p);
void serve_cancel_all(void);
int serve_running(void);
/* The prediction as Cog's JSON (malloc'd); call with serve_mu held. */
char *serve_pred_json(const pred *p);
/* `s` with the server's Hub token replaced by "***" (malloc'd). */
char *serve_scrub(const char *s);
double serve_now(void);

#endif
