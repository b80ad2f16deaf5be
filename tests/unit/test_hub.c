/* test_hub.c: the hub module's pure parts: URL forms, path safety, the
 * hand-parsed headers (Link, Retry-After, ETag, Content-Range), origins for the token,
 * relative redirects, tree listings, git blob sha1 (value from
 * `git hash-object`), the cache folder name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/hub_int.h"
#include "check.h"


static int parses(const char *url, int type, const char *repo, const char *rev, const char *path)
{
    hub_ref r;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__hub_url_parse(url, &r, &e)) { printf("  # %s: %s\n", url, e.msg); return 0; }
    int ok = (int)r.type == type && !strcmp(r.repo, repo) && !strcmp(r.path, path) &&
             (rev ? r.rev && !strcmp(r.rev, rev) : !r.rev);
    if (!ok) printf("  # %s -> %d %s @%s /%s\n", url, r.type, r.repo, r.rev ? r.rev : "-", r.path);
    ckpt__hub_ref_free(&r);
    return ok;
}

static int rejects(const char *url)
{
    hub_ref r;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (!ckpt__hub_url_parse(url, &r, &e)) { ckpt__hub_ref_free(&r); return 0; }
    return e.code == CKPT_E_USAGE;
}

int main(void)
{
    unsetenv("HF_ENDPOINT");
    CHECK("url_hf", parses("hf://org/name", HUB_MODEL, "org/name", NULL, ""));
    CHECK("url_hf_rev_path", parses("hf://org/name@v1.0/sub/m.safetensors", HUB_MODEL, "org/name", "v1.0", "sub/m.safetensors"));
    CHECK("url_hf_path", parses("hf://org/name/config.json", HUB_MODEL, "org/name", NULL, "config.json"));
    CHECK("url_hf_pr", parses("hf://org/name@refs/pr/12/a.bin", HUB_MODEL, "org/name", "refs/pr/12", "a.bin"));
    CHECK("url_hf_quoted_rev", parses("hf://org/name@refs%2Fpr%2F1", HUB_MODEL, "org/name", "refs/pr/1", ""));
    CHECK("url_hf_dataset", parses("hf://datasets/org/data@main/x.csv", HUB_DATASET, "org/data", "main", "x.csv"));
    CHECK("url_hf_legacy", parses("hf://gpt2", HUB_MODEL, "gpt2", NULL, ""));
    CHECK("url_web", parses("https://huggingface.co/org/name", HUB_MODEL, "org/name", NULL, ""));
    CHECK("url_web_resolve", parses("https://huggingface.co/org/name/resolve/main/a%20b/c.json?download=true",
                                    HUB_MODEL, "org/name", "main", "a b/c.json"));
    CHECK("url_web_tree", parses("https://huggingface.co/org/name/tree/dev/sub", HUB_MODEL, "org/name", "dev", "sub"));
    CHECK("url_web_blob_hfco", parses("https://hf.co/org/name/blob/main/README.md", HUB_MODEL, "org/name", "main", "README.md"));
    CHECK("url_web_space", parses("https://huggingface.co/spaces/org/app", HUB_SPACE, "org/app", NULL, ""));
    CHECK("url_web_legacy", parses("https://huggingface.co/gpt2/resolve/main/config.json", HUB_MODEL, "gpt2", "main", "config.json"));
    setenv("HF_ENDPOINT", "http://127.0.0.1:8080/", 1);
    CHECK("url_endpoint", parses("http://127.0.0.1:8080/org/name/resolve/main/x", HUB_MODEL, "org/name", "main", "x"));
    CHECK("is_hub_endpoint", ckpt_is_hub_url("http://127.0.0.1:8080/org/name"));
    CHECK("is_hub_other_port", !ckpt_is_hub_url("http://127.0.0.1:8081/org/name"));
    unsetenv("HF_ENDPOINT");
    CHECK("is_hub_other_host", !ckpt_is_hub_url("https://example.com/org/name"));
    CHECK("url_rej_dotdot", rejects("hf://org/name/../../etc/passwd"));
    CHECK("url_rej_dotdot_web", rejects("https://huggingface.co/org/name/resolve/main/%2e%2e/x"));
    CHECK("url_rej_repo", rejects("hf://org/na me"));
    CHECK("url_rej_repo_dots", rejects("hf://org/..name"));
    CHECK("url_rej_three", rejects("https://huggingface.co/org/name/raw/main/x"));
    CHECK("url_rej_empty_rev", rejects("hf://org/name@/x"));
    CHECK("url_rej_nul", rejects("https://huggingface.co/org/name/resolve/main/a%00b"));
    CHECK("url_rej_empty", rejects("hf://"));

    CHECK("path_ok", ckpt__hub_path_safe("a/b/c.json"));
    CHECK("path_abs", !ckpt__hub_path_safe("/etc/passwd"));
    CHECK("path_up", !ckpt__hub_path_safe("a/../../b"));
    CHECK("path_dot", !ckpt__hub_path_safe("./a"));
    CHECK("path_empty_part", !ckpt__hub_path_safe("a//b"));
    CHECK("path_backslash", !ckpt__hub_path_safe("a\\..\\b"));
    CHECK("path_trailing", !ckpt__hub_path_safe("a/"));
    CHECK("path_dots_in_name", ckpt__hub_path_safe("a..b/c...d"));

    const char *lk = "<https://h/api/models/x/tree/main?cursor=abc>; rel=\"next\", <https://h/p>; rel=\"prev\"";
    char *n = ckpt__http_link_next(lk, strlen(lk));
    CHECK("link_next", n && !strcmp(n, "https://h/api/models/x/tree/main?cursor=abc"));
    free(n);
    const char *lk2 = "<https://h/p>; rel=prev, <https://h/n2>; title=\"a,b\"; rel=\"last next\"";
    n = ckpt__http_link_next(lk2, strlen(lk2));
    CHECK("link_next_second", n && !strcmp(n, "https://h/n2"));
    free(n);
    n = ckpt__http_link_next("<https://h/p>; rel=prev", 22);
    CHECK("link_no_next", !n);
    free(n);
    CHECK("retry_after_int", ckpt__http_retry_after(" 7 ", 3) == 7);
    CHECK("retry_after_date", ckpt__http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29) == -1);
    /* Content-Range (RFC 9110 14.4): the range a 206 says it carries */
    uint64_t cra, crb, crt;
    CHECK("content_range", !ckpt__http_content_range("bytes 96-57031/57032", 20, &cra, &crb, &crt) &&
                               cra == 96 && crb == 57031 && crt == 57032);
    CHECK("content_range_star", !ckpt__http_content_range("bytes 0-0/*\r\n", 13, &cra, &crb, &crt) &&
                                    cra == 0 && crb == 0 && crt == UINT64_MAX);
    CHECK("content_range_backwards", ckpt__http_content_range("bytes 5-4/10", 12, &cra, &crb, &crt) == -1);
    CHECK("content_range_past_end", ckpt__http_content_range("bytes 0-10/10", 13, &cra, &crb, &crt) == -1);
    CHECK("content_range_unsatisfied", ckpt__http_content_range("bytes */10", 10, &cra, &crb, &crt) == -1);
    CHECK("content_range_overflow", ckpt__http_content_range("bytes 0-99999999999999999999/*", 30, &cra, &crb, &crt) == -1);
    CHECK("content_range_trailing", ckpt__http_content_range("bytes 0-1/2x", 12, &cra, &crb, &crt) == -1);
    CHECK("content_range_unit", ckpt__http_content_range("items 0-1/2", 11, &cra, &crb, &crt) == -1);
    char *e = ckpt__http_etag_norm("W/\"abc123\"", 10);
    CHECK("etag_weak_quoted", e && !strcmp(e, "abc123"));
    free(e);

    CHECK("origin_same", ckpt__http_same_origin("http://127.0.0.1:5000/a/b", "http://127.0.0.1:5000"));
    CHECK("origin_port", !ckpt__http_same_origin("http://127.0.0.1:5001/a", "http://127.0.0.1:5000"));
    CHECK("origin_scheme", !ckpt__http_same_origin("http://huggingface.co/a", "https://huggingface.co"));
    CHECK("origin_host", !ckpt__http_same_origin("https://cdn-lfs.huggingface.co/a", "https://huggingface.co"));
    CHECK("origin_default_port", ckpt__http_same_origin("https://huggingface.co:443/a", "https://huggingface.co"));
    char *u = ckpt__http_resolve("http://h:1/org/name/resolve/main/x", "/api/other?x=1");
    CHECK("redirect_relative", u && !strcmp(u, "http://h:1/api/other?x=1"));
    free(u);
    u = ckpt__http_resolve("http://h:1/a", "file:///etc/passwd");
    CHECK("redirect_no_file_scheme", !u);
    free(u);

    /* a tree page */
    const char *tree =
        "[{\"type\":\"directory\",\"oid\":\"0000000000000000000000000000000000000000\",\"size\":0,\"path\":\"sub\"},"
        "{\"type\":\"file\",\"oid\":\"ce013625030ba8dba906f756967f9e9ca394464a\",\"size\":6,\"path\":\"sub/a.txt\"},"
        "{\"type\":\"file\",\"oid\":\"1111111111111111111111111111111111111111\",\"size\":5,\"path\":\"m.safetensors\","
        "\"lfs\":{\"oid\":\"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789\",\"size\":12345,\"pointerSize\":134}}]";
    ckpt_hub_listing *l = calloc(1, sizeof *l);
    ckpt_err er;
    ckpt_err_clear(&er);
    int rc = ckpt__hub_parse_tree(tree, strlen(tree), l, &er);
    CHECK("tree_parse", rc == 0 && l->nfiles == 3);
    const ckpt_hub_file *f = ckpt__hub_find(l, "m.safetensors");
    CHECK("tree_lfs", f && f->size == 12345 && f->lfs_sha256 &&
                          !strcmp(f->lfs_sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
    CHECK("tree_dir", ckpt__hub_find(l, "sub") && ckpt__hub_find(l, "sub")->is_dir);
    const char *bad = "[{\"type\":\"file\",\"oid\":\"1111111111111111111111111111111111111111\",\"size\":1,\"path\":\"/abs\"}]";
    ckpt_err_clear(&er);
    CHECK("tree_abs_rejected", ckpt__hub_parse_tree(bad, strlen(bad), l, &er) == CKPT_E_UNSAFE);
    ckpt_err_clear(&er);
    CHECK("tree_dup_rejected", ckpt__hub_parse_tree(tree, strlen(tree), l, &er) == CKPT_E_FORMAT);
    ckpt_err_clear(&er);
    CHECK("tree_not_array", ckpt__hub_parse_tree("{}", 2, l, &er) == CKPT_E_FORMAT);
    const char *noid = "[{\"type\":\"file\",\"oid\":\"xyz\",\"size\":1,\"path\":\"q\"}]";
    ckpt_err_clear(&er);
    CHECK("tree_bad_oid", ckpt__hub_parse_tree(noid, strlen(noid), l, &er) == CKPT_E_FORMAT);
    ckpt_hub_listing_free(l);

    /* git blob sha1 of "hello\n" is what `git hash-object` prints */
    char tmp[] = "/tmp/ckpt-hubXXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0 && write(fd, "hello\n", 6) == 6) {
        close(fd);
        char hex[65];
        ckpt_err_clear(&er);
        CHECK("git_sha1", !ckpt__hub_hash_file(tmp, 1, hex, &er) && !strcmp(hex, "ce013625030ba8dba906f756967f9e9ca394464a"));
        CHECK("sha256", !ckpt__hub_hash_file(tmp, 0, hex, &er) &&
                            !strcmp(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"));
        unlink(tmp);
    }

    setenv("HF_HUB_CACHE", "/x/cache", 1);
    hub_ref r = {.type = HUB_MODEL, .repo = "org/name", .path = ""};
    char *d = ckpt__hub_repo_dir(&r);
    CHECK("cache_folder", d && !strcmp(d, "/x/cache/models--org--name"));
    free(d);
    r.type = HUB_DATASET;
    d = ckpt__hub_repo_dir(&r);
    CHECK("cache_folder_dataset", d && !strcmp(d, "/x/cache/datasets--org--name"));
    free(d);
    unsetenv("HF_HUB_CACHE");
    setenv("HF_HOME", "/y", 1);
    d = ckpt__hub_cache_dir();
    CHECK("cache_from_hf_home", d && !strcmp(d, "/y/hub"));
    free(d);
    setenv("HF_TOKEN", "  hf_abc \n", 1);
    char *t = ckpt__hub_token();
    CHECK("token_trimmed", t && !strcmp(t, "hf_abc"));
    free(t);
    return failures ? 1 : 0;
}
