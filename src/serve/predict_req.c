/* predict_req.c: check a Cog prediction request for `ckpt serve`
 * (ckpt/serve.h). Untrusted bytes from the network: every field is typed,
 * bounded and validated here, before the server starts any job. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ckpt/remap.h"
#include "ckpt/serve.h"
#include "internal.h"

const char *ckpt__template(const char *name, size_t *len);   /* build/gen/templates.c */

const char *ckpt_serve_openapi(size_t *len) { return ckpt__template("serve/openapi.json", len); }

static int bad(int *http, int code, ckpt_err *err, const char *msg, const char *field)
{
    *http = code;
    return ckpt_err_set(err, code == 400 ? CKPT_E_FORMAT : code == 403 ? CKPT_E_UNSAFE : CKPT_E_USAGE, msg, field);
}

/* Characters allowed in a name-like field (repo parts, revisions, ids). */
static int charset_ok(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);
    if (!n || n > max) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
            return 0;
    return !strstr(s, "..");
}

static int repo_id_ok(const char *s)
{
    const char *sl = strchr(s, '/');
    if (!sl || strchr(sl + 1, '/') || sl == s || !sl[1] || s[0] == '.' || s[0] == '-' || sl[1] == '.' || sl[1] == '-')
        return 0;
    return charset_ok(s, "._-/", 200);
}

static int rel_path_ok(const char *s)
{
    if (!*s || strlen(s) > 512 || s[0] == '/' || !ckpt__utf8_valid(s, strlen(s))) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\') return 0;
    for (const char *p = s; p; p = strchr(p, '/')) {
        if (*p == '/') p++;
        if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2])) return 0;
    }
    return 1;
}

/* A local path is refused unless it resolves (symlinks followed) under root. */
static int local_repo(const char *path, const char *root, ckpt_predict_req *r, int *http, ckpt_err *err)
{
    if (!root) return bad(http, 403, err, "input.%s: local paths are refused (the server was started without --root)", "huggingface_repo");
    char rr[PATH_MAX], rp[PATH_MAX];
    if (!realpath(root, rr)) return bad(http, 403, err, "input.%s: the server's --root does not resolve", "huggingface_repo");
    if (!realpath(path, rp)) return bad(http, 422, err, "input.%s: no such local path", "huggingface_repo");
    size_t l = strlen(rr);
    if (strncmp(rp, rr, l) || (rp[l] != '/' && rp[l] != 0 && !(l == 1 && rr[0] == '/')))
        return bad(http, 403, err, "input.%s: the path is outside the server's --root", "huggingface_repo");
    r->repo = ckpt__strdup(rp);
    r->local = 1;
    return r->repo ? 0 : bad(http, 422, err, "out of memory (%s)", "huggingface_repo");
}

static int set_repo(const char *v, const char *root, ckpt_predict_req *r, int *http, ckpt_err *err)
{
    if (v[0] == '/' || v[0] == '.' || v[0] == '~' || !strncmp(v, "file:", 5)) {
        if (!strncmp(v, "file://", 7)) v += 7;
        return local_repo(v, root, r, http, err);
    }
    if (!strncmp(v, "hf://", 5)) v += 5;
    else if (!strncmp(v, "https://huggingface.co/", 23)) v += 23;
    if (!repo_id_ok(v)) return bad(http, 422, err, "input.%s: wants a Hub repo id ORG/NAME (letters, digits, . _ -)", "huggingface_repo");
    r->repo = ckpt__strdup(v);
    return 0;
}

/* One optional string input into *dst, checked by kind. */
static int str_input(const cJSON *in, const char *key, char **dst, size_t max, int *http, ckpt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return bad(http, 422, err, "input.%s must be a string", key);
    size_t l = strlen(v->valuestring);
    if (l > max || !ckpt__utf8_valid(v->valuestring, l)) return bad(http, 422, err, "input.%s is too long or not UTF-8", key);
    if (!(*dst = ckpt__strdup(v->valuestring))) return bad(http, 422, err, "out of memory (%s)", key);
    return 0;
}

static const char *const inputs[] = {"huggingface_repo", "model_type", "h5_filename", "to", "naming", "map", "dtype", "revision", NULL};

static int check_inputs(const cJSON *in, const char *root, ckpt_predict_req *r, int *http, ckpt_err *err)
{
    for (const cJSON *c = in->child; c; c = c->next) {
        int known = 0;
        for (int i = 0; inputs[i]; i++) known |= c->string && !strcmp(c->string, inputs[i]);
        if (!known) return bad(http, 422, err, "unknown input '%.60s' (inputs: huggingface_repo, model_type, h5_filename, to, naming, map, dtype, revision)", c->string ? c->string : "");
    }
    char *repo = NULL;
    if (str_input(in, "huggingface_repo", &repo, 4096, http, err)) return err->code;
    if (!repo) return bad(http, 422, err, "input.%s is required", "huggingface_repo");
    int rc = set_repo(repo, root, r, http, err);
    free(repo);
    if (rc) return rc;
    if (str_input(in, "model_type", &r->model_type, 64, http, err) || str_input(in, "h5_filename", &r->h5_filename, 512, http, err) ||
        str_input(in, "to", &r->to, 64, http, err) || str_input(in, "naming", &r->naming, 64, http, err) ||
        str_input(in, "map", &r->map, 64 << 10, http, err) || str_input(in, "dtype", &r->dtype, 16, http, err) ||
        str_input(in, "revision", &r->revision, 128, http, err))
        return err->code;
    const char *mt = r->model_type;
    if (mt && strcmp(mt, "image_classifier") && strcmp(mt, "sound_classifier") && strcmp(mt, "text_classifier"))
        return bad(http, 422, err, "input.%s wants image_classifier, sound_classifier or text_classifier", "model_type");
    if (r->h5_filename && !rel_path_ok(r->h5_filename)) return bad(http, 422, err, "input.%s must be a relative path inside the repo", "h5_filename");
    if (r->revision && !charset_ok(r->revision, "._-/", 128)) return bad(http, 422, err, "input.%s wants a branch, tag or commit", "revision");
    if (r->naming && !charset_ok(r->naming, "_-", 32)) return bad(http, 422, err, "input.%s wants a naming scheme name", "naming");
    if (r->to) {
        const ckpt_format *f = ckpt__format_find(r->to);
        if (!f || !(f->flags & CKPT_FMT_WRITE) || (f->flags & CKPT_FMT_WRAP))
            return bad(http, 422, err, "input.%s is not a format ckpt writes (see `ckpt formats`)", "to");
    }
    if (r->dtype) {
        ckpt_dtype d = ckpt_dtype_from_name(r->dtype);
        if (!d || !ckpt_dtype_is_float(d)) return bad(http, 422, err, "input.%s wants a float dtype (F32, F16, BF16, ...)", "dtype");
    }
    if (r->map) {
        ckpt_remap *m = NULL;
        ckpt_err me;
        ckpt_err_clear(&me);
        int mrc = ckpt_remap_parse(r->map, "input.map", &m, &me);
        ckpt_remap_free(m);
        if (mrc) {
            *http = 422;
            return ckpt_err_set(err, CKPT_E_USAGE, "input.map: %s", me.msg);
        }
    }
    return 0;
}

static int check_envelope(const cJSON *j, ckpt_predict_req *r, int *http, ckpt_err *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (id && !cJSON_IsNull(id)) {
        if (!cJSON_IsString(id) || !charset_ok(id->valuestring, "_-", 64)) return bad(http, 422, err, "%s wants 1-64 letters, digits, - or _", "id");
        r->id = ckpt__strdup(id->valuestring);
    }
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(j, "webhook");
    if (wh && !cJSON_IsNull(wh)) {
        const char *u = cJSON_IsString(wh) ? wh->valuestring : "";
        int ok = (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) && strlen(u) < 2048;
        for (const unsigned char *p = (const unsigned char *)u; ok && *p; p++) ok = *p > 0x20 && *p < 0x7f;
        if (!ok) return bad(http, 422, err, "%s wants an http:// or https:// URL", "webhook");
        r->webhook = ckpt__strdup(u);
    }
    r->events = CKPT_WH_START | CKPT_WH_OUTPUT | CKPT_WH_LOGS | CKPT_WH_COMPLETED;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "webhook_events_filter");
    if (f && !cJSON_IsNull(f)) {
        if (!cJSON_IsArray(f)) return bad(http, 422, err, "%s wants a list of start, output, logs, completed", "webhook_events_filter");
        r->events = 0;
        for (const cJSON *e = f->child; e; e = e->next) {
            static const char *const ev[] = {"start", "output", "logs", "completed"};
            int k = -1;
            for (int i = 0; i < 4 && cJSON_IsString(e); i++)
                if (!strcmp(e->valuestring, ev[i])) k = i;
            if (k < 0) return bad(http, 422, err, "%s wants a list of start, output, logs, completed", "webhook_events_filter");
            r->events |= 1u << k;
        }
    }
    return 0;
}

int ckpt_predict_req_parse(const char *body, size_t n, const char *root, ckpt_predict_req *r, int *http, ckpt_err *err)
{
    memset(r, 0, sizeof *r);
    *http = 200;
    if (!body || !n) return bad(http, 400, err, "the request has no body: %s", "send {\"input\": {...}}");
    if (ckpt__json_too_deep(body, n)) return bad(http, 400, err, "the request body %s", "nests too deep");
    cJSON *j = cJSON_ParseWithLength(body, n);
    if (!j) return bad(http, 400, err, "the request body is not valid JSON (%s)", ckpt__json_cut_short(body, n) ? "cut short" : "syntax error");
    int rc = 0;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(j, "input");
    if (!cJSON_IsObject(j)) rc = bad(http, 400, err, "the request body must be a JSON object: %s", "{\"input\": {...}}");
    else if (!in || cJSON_IsNull(in)) rc = bad(http, 422, err, "missing \"%s\": send {\"input\": {\"huggingface_repo\": ...}}", "input");
    else if (!cJSON_IsObject(in)) rc = bad(http, 422, err, "\"%s\" must be an object", "input");
    if (!rc) rc = check_envelope(j, r, http, err);
    if (!rc) rc = check_inputs(in, root, r, http, err);
    cJSON_Delete(j);
    if (rc) ckpt_predict_req_free(r);
    return rc;
}

void ckpt_predict_req_free(ckpt_predict_req *r)
{
    if (!r) return;
    char **f[] = {&r->id, &r->webhook, &r->repo, &r->revision, &r->h5_filename, &r->model_type, &r->to, &r->naming, &r->map, &r->dtype};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) { free(*f[i]); *f[i] = NULL; }
}
