/* cmd_ls.c: `ckpt ls PATH [--json] [--grep TEXT]` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "outbuf.h"
#include "safe.h"

int cmd_ls(int argc, char **argv)
{
    const char *path = NULL, *grep = NULL;
    int json = 0;
    enum { O_GREP = CLI_OPT_FIRST_CMD };
    static const struct option rows[] = {
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"grep", required_argument, NULL, O_GREP}, {0}};
    cli_args args;
    if (cli_args_init(&args, "ls", argc, argv, rows)) return cli_oom();
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_GREP) grep = ov;
    }
    if (oc < 0 || cli_args_one(&args, "PATH", &path)) { cli_args_free(&args); return EXIT_USAGE; }
    cli_args_free(&args);
    ckpt_model *m;
    int rc = cli_open(path, &m);
    if (rc) return rc;
    int n = ckpt_model_ntensors(m);
    /* rows go into one buffer, written in large blocks: 100,000 tensors
     * without a printf per field or a JSON tree (the bytes are those of
     * cJSON_PrintUnformatted + cli_json_safe, and of the printf table) */
    outbuf b;
    ob_init(&b, stdout);
    if (json) {
        ob_puts(&b, "{\"format\":");
        ob_json_str(&b, ckpt_model_format(m));
        ob_puts(&b, ",\"tensors\":[");
        int first = 1;
        for (int i = 0; i < n; i++) {
            const ckpt_tensor *t = ckpt_model_tensor(m, i);
            if (grep && !strstr(t->name, grep)) continue;
            ob_puts(&b, first ? "{\"name\":" : ",{\"name\":");
            first = 0;
            ob_json_str(&b, t->name);
            ob_puts(&b, ",\"dtype\":");
            ob_json_str(&b, ckpt_dtype_name(t->dtype));
            ob_puts(&b, ",\"shape\":[");
            for (int d = 0; d < t->ndim; d++) {
                if (d) ob_put(&b, ",", 1);
                ob_json_num(&b, (double)t->shape[d]);
            }
            ob_puts(&b, "],\"nbytes\":");
            ob_json_num(&b, (double)t->nbytes);
            if (t->src_name != t->name && strcmp(t->src_name, t->name)) {
                ob_puts(&b, ",\"source_name\":");
                ob_json_str(&b, t->src_name);
            }
            if (t->flags & CKPT_TF_OPTIMIZER) ob_puts(&b, ",\"optimizer\":true");
            ob_put(&b, "}", 1);
        }
        ob_puts(&b, "]}\n");
        ckpt_close(m);
        return ob_finish(&b) ? EXIT_INPUT : EXIT_OK;
    }
    int wname = 4, wdt = 5, wsh = 5;
    char sh[256];
    for (int i = 0; i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if (grep && !strstr(t->name, grep)) continue;
        int l = (int)strlen(cli_esc(t->name));
        if (l > wname) wname = l;
        l = (int)strlen(ckpt_shape_str(t, sh, sizeof sh));
        if (l > wsh) wsh = l;
        l = (int)strlen(ckpt_dtype_name(t->dtype));
        if (l > wdt) wdt = l;
    }
    if (wname > 72) wname = 72;
    printf("%-*s  %-*s  %-*s  %s\n", wname, "NAME", wdt, "DTYPE", wsh, "SHAPE", "BYTES");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if (grep && !strstr(t->name, grep)) continue;
        ob_pad(&b, cli_esc(t->name), wname);
        ob_put(&b, "  ", 2);
        ob_pad(&b, ckpt_dtype_name(t->dtype), wdt);
        ob_put(&b, "  ", 2);
        ob_pad(&b, ckpt_shape_str(t, sh, sizeof sh), wsh);
        ob_put(&b, "  ", 2);
        ob_u64(&b, (unsigned long long)t->nbytes);
        ob_puts(&b, t->flags & CKPT_TF_OPTIMIZER ? "  (optimizer)\n" : "\n");
    }
    ckpt_close(m);
    return ob_finish(&b) ? EXIT_INPUT : EXIT_OK;
}
