/* hub_url.c: parse Hub references.
 *   hf://[datasets/|spaces/]org/name[@revision][/path]
 *   https://huggingface.co/[datasets/|spaces/]org/name[/resolve|tree|blob/REV[/path]]
 * (also https://hf.co/... and URLs under $HF_ENDPOINT). A revision holding
 * '/' (refs/pr/1) is written percent-encoded (refs%2Fpr%2F1) or, in hf://
 * form, as "@refs/pr/N". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_int.h"

const char *ckpt__hub_type_plural(hub_type t)
{
    return t == HUB_DATASET ? "datasets" : t == HUB_SPACE ? "spaces" : "models";
}

const char *ckpt__hub_type_prefix(hub_type t)
{
    return t == HUB_DATASET ? "datasets/" : t == HUB_SPACE ? "spaces/" : "";
}

void ckpt__hub_ref_free(hub_ref *r)
{
    if (!r) return;
    free(r->repo);
    free(r->rev);
    free(r->path);
    memset(r, 0, sizeof *r);
}

int ckpt__hub_is_commit(const char *s)
{
    if (!s || strlen(s) != 40) return 0;
    for (int i = 0; i < 40; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) return 0;
    return 1;
}

/* Repo ids as the Hub allows them: [org/]name, letters, digits, '-', '_',
 * '.', no "--" or "..", not starting or ending with '-' or '.', <= 96. */
static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 96) return 0;
    if (s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.') return 0;
        if (i && (c == '-' || c == '.') && s[i - 1] == c) return 0;
    }
    return 1;
}

int ckpt__hub_repo_id_ok(const char *repo)
{
    if (!repo) return 0;
    const char *sl = strchr(repo, '/');
    if (!sl) return name_ok(repo, strlen(repo));
    if (strchr(sl + 1, '/')) return 0;
    return name_ok(repo, (size_t)(sl - repo)) && name_ok(sl + 1, strlen(sl + 1));
}

int ckpt__hub_path_safe(const char *p)
{
    return !ckpt__path_problem(p, CKPT_PATH_NO_DOT);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode; NULL on a bad escape or a decoded NUL. */
static char *unquote(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) { free(o); return NULL; }
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) { free(o); return NULL; }
            o[k++] = (char)(h * 16 + l);
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = 0;
    return o;
}

char *ckpt__hub_quote(const char *s, int keep_slash)
{
    size_t n = strlen(s);
    char *o = malloc(3 * n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            o[k++] = (char)c;
        } else {
            snprintf(o + k, 4, "%%%02X", c);
            k += 3;
        }
    }
    o[k] = 0;
    return o;
}

char *ckpt__hub_file_url(const hub_ref *r, const char *rev, const char *path)
{
    /* A branch literally named "refs" must not read back as "@refs/pr/N":
     * its first letter is escaped so the hf:// parser takes it whole. */
    int refs = rev && !strcmp(rev, "refs");
    char *qrev = refs ? ckpt__strdup("%72efs") : ckpt__hub_quote(rev ? rev : "main", 0);
    if (!qrev) return NULL;
    char *u = ckpt__asprintf("hf://%s%s@%s%s%s", ckpt__hub_type_prefix(r->type), r->repo, qrev,
                             path && *path ? "/" : "", path ? path : "");
    free(qrev);
    return u;
}

static int bad(ckpt_err *err, const char *url, const char *why)
{
    ckpt_err_set(err, CKPT_E_USAGE, "%s (expected hf://org/name[@revision][/path])", why);
    ckpt_err_at_path(err, url);
    return CKPT_E_USAGE;
}

/* Host part of an http(s) URL matches one of the Hub hosts or $HF_ENDPOINT:
 * returns the length of the matched prefix (through the '/' after the host). */
static size_t hub_http_prefix(const char *url)
{
    static const char *const hosts[] = {"https://huggingface.co/", "https://hf.co/",
                                        "https://www.huggingface.co/"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
        if (!strncmp(url, hosts[i], strlen(hosts[i]))) return strlen(hosts[i]);
    const char *ep = getenv("HF_ENDPOINT");
    if (ep && *ep) {
        size_t n = strlen(ep);
        while (n && ep[n - 1] == '/') n--;
        if (n && !strncmp(url, ep, n) && url[n] == '/') return n + 1;
    }
    return 0;
}

int ckpt_is_hub_url(const char *s)
{
    if (!s) return 0;
    return !strncmp(s, "hf://", 5) || hub_http_prefix(s) > 0;
}

int ckpt__hub_url_parse(const char *url, hub_ref *r, ckpt_err *err)
{
    memset(r, 0, sizeof *r);
    if (!url) return bad(err, "", "no URL");
    if (strlen(url) > 4096) return bad(err, "", "URL too long");
    const char *p;
    int http = 0;
    if (!strncmp(url, "hf://", 5)) {
        p = url + 5;
    } else {
        size_t k = hub_http_prefix(url);
        if (!k) return bad(err, url, "not a Hugging Face Hub URL");
        p = url + k;
        http = 1;
    }
    /* strip a query or fragment from web URLs (?download=true, #L10) */
    size_t plen = strcspn(p, http ? "?#" : "");
    char *s = ckpt__strndup(p, plen);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    char *q = s;
    r->type = HUB_MODEL;
    if (!strncmp(q, "datasets/", 9)) { r->type = HUB_DATASET; q += 9; }
    else if (!strncmp(q, "spaces/", 7)) { r->type = HUB_SPACE; q += 7; }
    else if (!strncmp(q, "models/", 7)) { q += 7; }

    /* repo id: up to two '/'-separated parts, ending at '@' (hf://) or '/' */
    char *a = q, *end = q + strcspn(q, http ? "/" : "/@");
    size_t alen = (size_t)(end - a);
    char *b = NULL, *bend = NULL;
    if (*end == '/') {
        b = end + 1;
        bend = b + strcspn(b, http ? "/" : "/@");
    }
    int rc = 0;
    if (!http && b && bend > b && !name_ok(b, (size_t)(bend - b))) {
        rc = bad(err, url, "invalid repository id");
        goto out;
    }
    /* one-part legacy ids (hf://gpt2) only when the next part cannot be a name */
    if (b && bend > b && name_ok(b, (size_t)(bend - b)) &&
        !(http && (!strncmp(b, "resolve/", 8) || !strncmp(b, "tree/", 5) || !strncmp(b, "blob/", 5)))) {
        r->repo = ckpt__strndup(a, (size_t)(bend - a));
        q = bend;
    } else {
        r->repo = ckpt__strndup(a, alen);
        q = end;
    }
    if (!r->repo) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if (!ckpt__hub_repo_id_ok(r->repo)) { rc = bad(err, url, "invalid repository id"); goto out; }
    /* "models", "datasets" and "spaces" are reserved on the Hub; an owner of
     * that name would make hf://models/models/x ambiguous */
    {
        size_t ol = strcspn(r->repo, "/");
        if (r->repo[ol] == '/' && ((ol == 6 && !strncmp(r->repo, "models", 6)) ||
                                   (ol == 8 && !strncmp(r->repo, "datasets", 8)) ||
                                   (ol == 6 && !strncmp(r->repo, "spaces", 6)))) {
            rc = bad(err, url, "invalid repository id");
            goto out;
        }
    }

    if (!http) {
        if (*q == '@') {
            q++;
            size_t n;
            if (!strncmp(q, "refs/pr/", 8) || !strncmp(q, "refs/convert/", 13)) {
                const char *t = strchr(q, '/');
                t = strchr(t + 1, '/');
                n = (size_t)(t - q) + 1 + strcspn(t + 1, "/");
            } else {
                n = strcspn(q, "/");
            }
            if (n == 0) { rc = bad(err, url, "empty revision"); goto out; }
            r->rev = unquote(q, n);
            if (!r->rev) { rc = bad(err, url, "invalid revision"); goto out; }
            q += n;
        }
        if (*q == '/') q++;
        else if (*q) { rc = bad(err, url, "unexpected character after the repository id"); goto out; }
    } else {
        if (*q == '/') q++;
        if (!strncmp(q, "resolve/", 8) || !strncmp(q, "tree/", 5) || !strncmp(q, "blob/", 5)) {
            q = strchr(q, '/') + 1;
            size_t n = strcspn(q, "/");
            if (n == 0) { rc = bad(err, url, "empty revision"); goto out; }
            r->rev = unquote(q, n);
            if (!r->rev) { rc = bad(err, url, "invalid revision"); goto out; }
            q += n;
            if (*q == '/') q++;
        } else if (*q) {
            rc = bad(err, url, "expected /resolve/, /tree/ or /blob/ after the repository id");
            goto out;
        }
    }
    if (r->rev && (!*r->rev || strstr(r->rev, "..") || r->rev[0] == '/')) {
        rc = bad(err, url, "invalid revision");
        goto out;
    }
    /* the path: percent-decoded in web URLs, taken as is in hf:// */
    size_t n = strlen(q);
    while (n && q[n - 1] == '/') n--;
    r->path = http ? unquote(q, n) : ckpt__strndup(q, n);
    if (!r->path) { rc = bad(err, url, "invalid path"); goto out; }
    if (*r->path && !ckpt__hub_path_safe(r->path)) { rc = bad(err, url, "path escapes the repository"); goto out; }
out:
    free(s);
    if (rc) ckpt__hub_ref_free(r);
    return rc;
}
