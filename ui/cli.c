/* cli.c: command dispatch, help, and the helpers every subcommand shares
 * (error printing, opening, progress on stderr, signals). */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ckpt/convert.h"
#include "ckpt/human.h"
#include "ckpt/remap.h"
#include "args.h"
#include "cli.h"
#include "safe.h"
#include "tui.h"

int cmd_ls(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_scaffold(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* The command table: one row per subcommand. */
static const cli_cmd commands[] = {
    {"ls", cmd_ls, "list tensors: name, dtype, shape, bytes",
     "usage: ckpt ls PATH [--json] [--grep TEXT]\n"
     "  One row per tensor in file order: name, dtype, shape, bytes.\n"
     "  --json       {\"format\":..., \"tensors\":[{\"name\",\"dtype\",\"shape\",\"nbytes\"}...]}\n"
     "  --grep TEXT  only tensors whose name contains TEXT\n"},
    {"info", cmd_info, "summary: format, files, counts, dtypes, metadata",
     "usage: ckpt info PATH [--json]\n"
     "  Format, files, tensor count, parameter count, total bytes, dtype histogram,\n"
     "  metadata, and what ckpt derives about the model (architecture facts).\n"},
    {"check", cmd_check, "find mismatches between names, shapes and the architecture",
     "usage: ckpt check PATH [--json]\n"
     "       ckpt check PATH --expect TARGET [--map FILE] [--set KEY=N]\n"
     "                       [--include-optimizer] [--json]\n"
     "  Reports what stops a load or loads wrong weights; each finding has a kind\n"
     "  (--json \"kind\"): duplicate, bad_name (empty, control bytes, not UTF-8,\n"
     "  leading/trailing space, '..' or a leading '/'), lost_weights (optimizer\n"
     "  slots but no model variables), and where the format carries an\n"
     "  architecture (Keras): missing, unexpected, shape (naming the input shape\n"
     "  assumed and where it came from), rename. A layer class ckpt does not know\n"
     "  (custom or third-party) is a note: its weights are listed, not compared.\n"
     "  --expect TARGET: compare with the layout some code expects instead: a\n"
     "  checkpoint, a names list (NAME [SHAPE] [DTYPE] a line, or `ckpt ls --json`)\n"
     "  or preset:NAME; reports missing, unexpected, mis-shaped tensors after\n"
     "  --map, with suggested rules. A preset target lists the source names it\n"
     "  expects and the model lacks (layers counted from config.json, else from\n"
     "  the names; a note says which); the Keras presets, from the Keras config.\n"
     "  Optimizer state is not compared unless --include-optimizer; a note line\n"
     "  says how many tensors were left out. With --expect the kinds are missing,\n"
     "  unexpected, shape, dtype, rename and unused_rule (a map rule matching nothing).\n"
     "  Exit status 1 when anything is found (notes do not count).\n"},
    {"convert", cmd_convert, "convert to another format (streamed, atomic output)",
     "usage: ckpt convert IN -o OUT [--to FORMAT] [options]\n"
     "  --to FORMAT         output format (default: from OUT's extension; a directory\n"
     "                      OUT/ gets sharded safetensors); see `ckpt formats`. With\n"
     "                      --to, a folder OUT/ holds the format's usual file name\n"
     "                      (out/ --to gguf writes out/model.gguf)\n"
     "  --shard-size SIZE   split into shards of at most SIZE (\"5GB\", \"500MB\", \"2GiB\")\n"
     "  --rename FROM=TO    rename a tensor or a name prefix (repeatable)\n"
     "  --map FILE          remap rules file or preset:NAME (see README \"Remap rules\", `ckpt maps`)\n"
     "  --set KEY=N         value for {KEY} in the rules' shapes (else from config.json)\n"
     "  --dtype DTYPE       cast floating-point tensors (F32, F16, BF16, ...)\n"
     "  --quantize TYPE     GGUF output: F32 F16 BF16 Q8_0 Q4_0 (matrices; norms stay F32)\n"
     "  --naming SCHEME     output naming where the format has choices (Keras input:\n"
     "                      keras, index, keras3 = the Keras 3 weight paths)\n"
     "  --package zip       one zip as S0 makes it: model.safetensors (or model.EXT of\n"
     "                      --to), config.json (two-space indent), labels.txt, README.md;\n"
     "                      --to package or OUT.zip do the same; with --labels FILE and\n"
     "                      --model-type image_classifier|sound_classifier|text_classifier\n"
     "  --verify            re-read the output and compare every tensor with the source\n"
     "                      (bit for bit, or within half an ulp for --dtype and one step\n"
     "                      for --quantize): \"verified N tensors\", else exit 3 naming\n"
     "                      the tensor and byte offset (the output is kept)\n"
     "  --resume            keep OUT when it exists and verifies; else convert (--verify)\n"
     "  --batch FILE        run a manifest: one job a line, `IN -o OUT [options]` or a\n"
     "                      JSON object {\"input\", \"output\", OPTION: VALUE}; options\n"
     "                      after --batch apply to every job; each job is verified and\n"
     "                      skipped when its output exists and verifies (re-runs resume);\n"
     "                      a summary table; exit 3 when any job failed\n"
     "  --jobs N            batch: jobs at once (default 1)\n"
     "  --part K/N          batch: only jobs K, K+N, K+2N... (Slurm arrays, parallel)\n"
     "  --to kerashub       a KerasHub preset folder from a Hugging Face checkpoint\n"
     "                      (gpt2, bert, llama, llama3, mistral, gemma, qwen2): config.json,\n"
     "                      metadata.json, model.weights.h5, tokenizer.json, assets/tokenizer/;\n"
     "                      --no-tokenizer writes the backbone alone\n"
     "  --to numpy          OUT.py with predict(x) in NumPy only and OUT.npz (the weights)\n"
     "                      from a Keras model with its config; a layer it cannot\n"
     "                      export is named and nothing is written\n"
     "  --compress          npz: deflated members (np.savez_compressed)\n"
     "  --quantize Q        tfjs: quantize float32 weights as tensorflowjs_converter,\n"
     "                      Q = uint8, uint16 (affine, min/scale per tensor) or float16\n"
     "  --quantize-only GLOB,...  tfjs: quantize only the weights whose names match\n"
     "  --to c              Keras model -> C99 inference code: -o NAME.c writes NAME.c and\n"
     "                      NAME.h (NAME_predict(in, batch, out), libm only)\n"
     "  --weights MODE      c: embed (weights as arrays in NAME.c, default) or file\n"
     "                      (NAME.bin, float32, read on the first predict)\n"
     "  --include-optimizer also convert optimizer state\n"
     "  --fsync end|never   end (default): the output is flushed to disk before it is\n"
     "                      renamed into place; never: left to the page cache (faster,\n"
     "                      not durable across a power loss)\n"
     "  --cache             hf:// input: keep the model's files in the Hugging Face cache\n"
     "                      (as pull does); without it they are streamed from HTTP\n"
     "                      ranges and nothing is stored\n"
     "  --opt KEY=VALUE     writer option (repeatable)\n"
     "  TensorFlow from a TF.js graph model (--to tf-frozen OUT.pb, --to tf-saved-model OUT/):\n"
     "  --outputs A,B       keep what these nodes need; SavedModel: its signature outputs\n"
     "  --compat-mode MODE  none (default), tfjs, tflite: split fused ops and Prelu,\n"
     "                      64-bit type attrs to 32-bit, as tfjs-to-tf\n"
     "  --signature-key K   SavedModel signature key (default serving_default)\n"
     "  --method-name M     signature method (default tensorflow/serving/predict)\n"
     "  --saved-model-tags T,...  meta graph tags (default serve)\n"
     "  --rename OLD:NEW,...  tf-saved-model: renames signature keys, not tensors\n"
     "  --quiet             print nothing but errors\n"
     "  --progress=MODE     bar (default on a terminal), json (one object per line), none\n"
     "  --json              print the result as JSON on stdout\n"
     "  The output is written to a temporary name and renamed when complete:\n"
     "  an error or Ctrl-C leaves nothing at OUT.\n"},
    {"diff", cmd_diff, "compare two checkpoints: names, shapes, dtypes, renames, values",
     "usage: ckpt diff A B [--map FILE] [--json] [--values [--atol X] [--rtol Y]]\n"
     "                     [--include-optimizer]\n"
     "  Names only in A, only in B, shape and dtype differences, and probable\n"
     "  renames (equal shape, similar names, scored). --map applies rules to A's\n"
     "  names first. --values streams every common tensor and reports the max\n"
     "  absolute and relative difference; tensors differ when any element has\n"
     "  |a-b| > atol + rtol*|b| (defaults 0 and 0: exact). Optimizer state is\n"
     "  left out (a count line says how many) unless --include-optimizer.\n"
     "  Exit status 0 when identical, 1 when they differ.\n"},
    {"maps", cmd_maps, "list remap presets; print one; preview a map on a model",
     "usage: ckpt maps [NAME] [--json]\n"
     "       ckpt maps --preview PATH --map SPEC [--set KEY=N] [--json]\n"
     "  Without arguments: the presets shipped with ckpt. With NAME: its rules.\n"
     "  --preview: every tensor's old and new name, dtype, shape and transform,\n"
     "  without writing anything.\n"},
    {"pull", cmd_pull, "download a Hugging Face Hub repo into the shared cache (verified, resumable)",
     "usage: ckpt pull hf://org/name[@REV][/PATH] [--include GLOB]... [--revision REV] [options]\n"
     "  Downloads into huggingface_hub's cache ($HF_HUB_CACHE, else $HF_HOME/hub, else\n"
     "  ~/.cache/huggingface/hub) and prints the snapshot folder. Files already cached\n"
     "  are not fetched again; a partial download is resumed, also by the next run.\n"
     "  Every file is verified: sha256 for LFS files, git blob sha1 for the others.\n"
     "  --include GLOB      only files matching GLOB ('*' matches '/' too; repeatable)\n"
     "  --revision REV      branch, tag or commit (default: the URL's @REV, else main)\n"
     "  --parallel N        concurrent transfers (default 8)\n"
     "  --quiet             print nothing but errors and the snapshot folder\n"
     "  --progress=MODE     bar (default on a terminal), json (one object per line), none\n"
     "  Environment: HF_ENDPOINT, HF_TOKEN (or $HF_HOME/token), HF_HUB_OFFLINE=1\n"
     "  (check that everything asked is in the cache, without the network).\n"},
    {"search", cmd_search, "search the Hugging Face Hub for model repos",
     "usage: ckpt search TEXT [--limit N] [--json]\n"
     "  Model repos whose id holds TEXT (the Hub's /api/models?search=), one\n"
     "  hf:// URL a line, or a JSON array of ids. Exit status 1 when none match.\n"
     "  In the interactive browser: H.\n"},
    {"scaffold", cmd_scaffold, "write the Python files of a new KerasHub model from a HF config",
     "usage: ckpt scaffold kerashub CONFIG|hf://org/name -o DIR [--name NAME]\n"
     "  Analyses the Hugging Face config.json (attention kind, activation, norm,\n"
     "  position encoding, tied embeddings, tasks), prints the analysis, and writes\n"
     "  NAME_backbone.py, NAME_attention.py, NAME_decoder.py (or _encoder),\n"
     "  NAME_layernorm.py (RMSNorm), NAME_tokenizer.py, NAME_causal_lm.py (or the\n"
     "  task the config names) and its preprocessor, NAME_presets.py,\n"
     "  convert_NAME_checkpoints.py, NAME_backbone_test.py, NAME_tokenizer_test.py,\n"
     "  NAME_rules.txt (ckpt rules: HF weights -> the scaffold's variables) and\n"
     "  NAME_variables.txt (for ckpt check CKPT --map NAME_rules.txt --expect it).\n"
     "  Ends with the TODOs left in the code, by file and line. NAME defaults to\n"
     "  the model_type. An architecture it cannot follow (encoder-decoder,\n"
     "  relative position bias, mixture of experts) is listed and nothing is written.\n"},
    {"serve", cmd_serve, "serve conversions over HTTP: Cog's prediction API (zip package out)",
     "usage: ckpt serve [--listen HOST:PORT] [--jobs N] [--root DIR] [--output-dir DIR]\n"
     "                  [--grace S] [--max-body BYTES] [--max-output BYTES]\n"
     "  Cog's HTTP API on 127.0.0.1:5000 unless --listen says otherwise (port 0:\n"
     "  any free one, printed in the first log line):\n"
     "    GET  /health-check, GET /openapi.json (the input schema), GET /\n"
     "    POST /predictions {\"input\": {...}} -> {\"status\", \"output\", \"logs\",\n"
     "         \"metrics\": {\"predict_time\"}}, or \"failed\" with \"error\"\n"
     "    PUT  /predictions/ID (idempotent), Prefer: respond-async -> 202 and\n"
     "         the prediction posted to \"webhook\" on start, logs, output, completion\n"
     "    POST /predictions/ID/cancel\n"
     "  Inputs: huggingface_repo (required: ORG/NAME, or a path under --root),\n"
     "  model_type (image_classifier, sound_classifier, text_classifier),\n"
     "  h5_filename (which .h5 when the repo has several), to, naming, map (rule\n"
     "  text), dtype, revision. Output: the --package zip as a data: URL, or its\n"
     "  path when --output-dir is given. Every output is verified (--verify).\n"
     "  --jobs N      conversions at once (default 2); more get 503 + Retry-After\n"
     "  --root DIR    local inputs allowed under DIR only (default: none)\n"
     "  --grace S     on SIGTERM, running jobs get S seconds (default 30), then\n"
     "                are cancelled; their partial outputs are removed\n"
     "  --max-body    request bytes (default 1MiB); --max-output: zip bytes (512MiB)\n"
     "  The Hub token comes from HF_TOKEN / $HF_HOME/token and is never echoed.\n"
     "  One JSON log line per request on stderr.\n"},
    {"formats", cmd_help, "list the formats ckpt reads and writes", "usage: ckpt formats\n"},
    {"help", cmd_help, "help on a command", "usage: ckpt help [COMMAND]\n"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

const cli_cmd *cli_find(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static void print_help(FILE *f)
{
    fprintf(f,
            "ckpt %s: inspect and convert neural-network checkpoints\n\n"
            "usage: ckpt [PATH | hf://org/name]     interactive browser (a terminal is needed)\n"
            "       ckpt COMMAND [ARGS]\n\ncommands:\n",
            CKPT_VERSION);
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\noptions before COMMAND:\n"
               "  --allow-external-data  read HDF5 external storage, virtual datasets and external links\n"
               "                         (refused by default: they read files outside the model)\n");
    fprintf(f, "\nexit status: 0 ok, 1 findings, 2 usage error, 3 input or I/O error\n"
               "`ckpt help COMMAND` for a command's options.\n");
}

static void print_formats(void)
{
    printf("%-16s %-5s %s\n", "FORMAT", "MODE", "DESCRIPTION");
    for (int i = 0; i < ckpt_format_count(); i++) {
        unsigned fl = ckpt_format_flags(i);
        printf("%-16s %c%c    %s\n", ckpt_format_name(i), fl & CKPT_FMT_READ ? 'r' : '-',
               fl & CKPT_FMT_WRITE ? 'w' : '-', ckpt_format_desc(i));
    }
}

int cmd_help(int argc, char **argv)
{
    if (!strcmp(argv[0], "formats")) {
        print_formats();
        return EXIT_OK;
    }
    if (argc < 2) {
        print_help(stdout);
        return EXIT_OK;
    }
    const cli_cmd *c = cli_find(argv[1]);
    if (!c) return cli_usage("help", "no command '%s'", argv[1]);
    fputs(c->usage, stdout);
    return EXIT_OK;
}

int cli_fail(const ckpt_err *e)
{
    char line[2048];
    fprintf(stderr, "ckpt: %s\n", cli_esc(ckpt_err_line(e, line, sizeof line)));
    if (e->code == CKPT_E_CANCELLED) return 130;
    return ckpt_err_exit_code(e);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ckpt %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\ntry 'ckpt help %s'\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_oom(void)
{
    fprintf(stderr, "ckpt: out of memory\n");
    return EXIT_INPUT;
}

int cli_remap_build(const char *const *renames, int nren, const char *const *maps, int nmaps,
                    const char *const *sets, int nsets, ckpt_remap **out)
{
    ckpt_err e;
    ckpt_err_clear(&e);
    for (int k = 0; k < nsets; k++)
        if (!strchr(sets[k], '=') || sets[k][0] == '=') {
            fprintf(stderr, "ckpt: --set wants KEY=N, got '%s'\n", cli_esc(sets[k]));
            return EXIT_USAGE;
        }
    for (int k = 0; k < nren && !e.code; k++) ckpt_remap_add_rename(out, renames[k], &e);
    for (int k = 0; k < nmaps && !e.code; k++) ckpt_remap_append(out, maps[k], &e);
    for (int k = 0; k < nsets && !e.code; k++) {
        const char *eq = strchr(sets[k], '=');
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[k]), sets[k]);
        if (!*out) ckpt_remap_parse("", "--set", out, &e);
        if (!e.code) ckpt_remap_set_var(*out, key, eq + 1, &e);
    }
    return e.code ? cli_fail(&e) : 0;
}

int cli_open(const char *path, ckpt_model **m)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt_open(path, m, &err)) return cli_fail(&err);
    return 0;
}

void cli_json_put(cJSON *root)
{
    char *s = cli_json_safe(cJSON_PrintUnformatted(root));
    if (s) puts(s);
    free(s);
    cJSON_Delete(root);
}

/* ---- human numbers ---- */

const char *cli_human_bytes(unsigned long long n, char *buf, size_t len)
{
    return ckpt_human_bytes(n, buf, len);
}

const char *cli_human_count(unsigned long long n, char *buf, size_t len)
{
    return ckpt_human_count(n, buf, len);
}

/* ---- progress and signals ---- */

volatile int cli_cancelled;
static volatile sig_atomic_t nsignals;

static void on_signal(int sig)
{
    (void)sig;
    cli_cancelled = 1;
    /* a second Ctrl-C: the user really wants out; remove outputs in progress */
    if (++nsignals >= 2) {
        ckpt_abort_outputs_signal_safe();
        _exit(130);
    }
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p)
{
    memset(p, 0, sizeof *p);
    p->mode = isatty(2) ? CLI_PROGRESS_BAR : CLI_PROGRESS_NONE;
    p->t0 = now_s();
}

int cli_progress_opt(cli_progress *p, const char *cmd, int c, const char *arg)
{
    if (c == CLI_OPT_QUIET) p->mode = CLI_PROGRESS_NONE;
    else if (c != CLI_OPT_PROGRESS) return 0;
    else if (!strcmp(arg, "json")) p->mode = CLI_PROGRESS_JSON;
    else if (!strcmp(arg, "bar")) p->mode = CLI_PROGRESS_BAR;
    else if (!strcmp(arg, "none")) p->mode = CLI_PROGRESS_NONE;
    else {
        cli_usage(cmd, "--progress wants bar, json or none, got '%s'", arg);
        return -1;
    }
    return 1;
}

/* a JSON string, escaped as cli_json_safe escapes whole documents */
static void json_str(FILE *f, const char *s)
{
    cJSON *j = cJSON_CreateString(s ? s : "");
    char *t = j ? cli_json_safe(cJSON_PrintUnformatted(j)) : NULL;
    fputs(t ? t : "\"\"", f);
    free(t);
    cJSON_Delete(j);
}

int cli_progress_cb(void *ud, const ckpt_progress *pr)
{
    cli_progress *p = ud;
    if (cli_cancelled) return 1;
    if (p->mode == CLI_PROGRESS_NONE) return 0;
    double t = now_s();
    int final = pr->bytes_total && pr->bytes_done == pr->bytes_total && !pr->current;
    if (!final && p->last && t - p->last < (p->mode == CLI_PROGRESS_JSON ? 0.2 : 0.1)) return 0;
    p->last = t;
    double el = t - p->t0;
    double rate = el > 0 ? (double)pr->bytes_done / el : 0;
    if (p->mode == CLI_PROGRESS_JSON) {
        fprintf(stderr, "{\"phase\":");
        json_str(stderr, pr->phase);
        fprintf(stderr, ",\"bytes_done\":%llu,\"bytes_total\":%llu,\"items_done\":%d,\"items_total\":%d,"
                        "\"rate\":%.0f,\"elapsed\":%.3f,\"current\":",
                (unsigned long long)pr->bytes_done, (unsigned long long)pr->bytes_total, pr->items_done,
                pr->items_total, rate, el);
        if (pr->current) json_str(stderr, pr->current);
        else fputs("null", stderr);
        fputs("}\n", stderr);
        fflush(stderr);
        return 0;
    }
    double frac = pr->bytes_total ? (double)pr->bytes_done / (double)pr->bytes_total : 0;
    char a[32], b[32], r[32], eta[32] = "";
    cli_human_bytes(pr->bytes_done, a, sizeof a);
    cli_human_bytes(pr->bytes_total, b, sizeof b);
    cli_human_bytes((unsigned long long)rate, r, sizeof r);
    if (rate > 0 && pr->bytes_total > pr->bytes_done) {
        double s = (double)(pr->bytes_total - pr->bytes_done) / rate;
        snprintf(eta, sizeof eta, " ETA %d:%02d", (int)s / 60, (int)s % 60);
    }
    int w = 24, fill = (int)(frac * w + 0.5);
    char bar[64];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    char cur[40] = "";
    if (pr->current) {
        size_t l = strlen(pr->current);
        const char *e = cli_esc(l > 30 ? pr->current + l - 27 : pr->current);
        snprintf(cur, sizeof cur, " %s%s", l > 30 ? "..." : "", e);
    }
    /* the bar's own \r and erase-line go to the raw stream; the name is escaped */
    FILE *tty = cli_term_err ? cli_term_err : stderr;
    fflush(stderr);
    fprintf(tty, "\r\033[K[%s] %3d%% %s/%s %s/s%s%s", bar, (int)(frac * 100), a, b, r, eta, cur);
    fflush(tty);
    return 0;
}

void cli_progress_done(cli_progress *p)
{
    if (p->mode == CLI_PROGRESS_BAR && p->last) {
        FILE *tty = cli_term_err ? cli_term_err : stderr;
        fprintf(tty, "\r\033[K");
        fflush(tty);
    }
}

/* ---- entry ---- */

static int open_interactive(const char *path, const char *theme)
{
    if (isatty(1) && isatty(0)) return tui_main(path, theme); /* NULL: browse "." */
    if (!path) path = ".";
    /* When stdout is not a terminal, the bare path form prints what
     * `ckpt info` prints, through the same escaping filter. */
    cli_safe_streams();
    char *av[] = {"info", (char *)path, NULL};
    return cmd_info(2, av);
}

int cli_main(int argc, char **argv)
{
    const char *theme = NULL;
    enum { O_EXT = 256, O_THEME };
    static const struct option rows[] = {{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
                                         {"allow-external-data", no_argument, NULL, O_EXT},
                                         {"theme", required_argument, NULL, O_THEME}, {0}};
    int o;
    opterr = 0;
    /* '+': the options before the command; the command parses its own */
    while ((o = getopt_long(argc, argv, "+:hV", rows, NULL)) != -1) {
        if (o == 'h') { print_help(stdout); return EXIT_OK; }
        if (o == 'V') { printf("ckpt %s\n", CKPT_VERSION); return EXIT_OK; }
        if (o == O_EXT) ckpt_set_allow_external_data(1);
        else if (o == O_THEME) theme = optarg;
        else {
            fprintf(stderr, "ckpt: %s '%s'\n", o == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            print_help(stderr);
            return EXIT_USAGE;
        }
    }
    int i = optind;
    if (i >= argc) {
        if (!isatty(1)) {
            print_help(stderr);
            return EXIT_USAGE;
        }
        return open_interactive(NULL, theme);
    }
    const cli_cmd *c = cli_find(argv[i]);
    if (c) {
        int sub_argc = argc - i;
        char **sub = argv + i;
        for (int k = 1; k < sub_argc && strcmp(sub[k], "--"); k++)
            if (!strcmp(sub[k], "--help") || !strcmp(sub[k], "-h")) {
                fputs(c->usage, stdout);
                return EXIT_OK;
            }
        /* every command's output goes through the escaping filter (the TUI,
         * below, draws through curses instead) */
        cli_safe_streams();
        return c->run(sub_argc, sub);
    }
    if (i + 1 < argc) {
        fprintf(stderr, "ckpt: unknown command '%s'\n", argv[i]);
        print_help(stderr);
        return EXIT_USAGE;
    }
    return open_interactive(argv[i], theme);
}
