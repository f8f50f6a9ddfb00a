/*
 * botenv.c - the bot control plane fixture (botenv.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "botenv.h"

extern char **environ;

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int botenv_orch_start(botenv *e)
{
    const char *bin = getenv("SATH_ORCH_BIN"), *standin = getenv("SATH_BOT_STANDIN");
    if (!bin || !standin) {
        fprintf(stderr, "SATH_ORCH_BIN / SATH_BOT_STANDIN not set (run through ctest)\n");
        return -1;
    }
    static char db[1200], redis[512], state[300], prog[600], addr[96];
    snprintf(db, sizeof db, "SATH_DATABASE_URL=%s", e->sathd.conninfo);
    snprintf(redis, sizeof redis, "SATH_REDIS_URL=%s", getenv("SATH_TEST_REDIS_URL"));
    snprintf(state, sizeof state, "SATH_BOT_STATE_DIR=%s", e->state_dir);
    snprintf(prog, sizeof prog, "SATH_BOT_PROGRAM=%s", standin);
    /* where sathd is (it bound port 0); a restart binds the same address again */
    snprintf(addr, sizeof addr, "SATH_BOT_SATHD_ADDR=%s", e->sathd.target);
    const char *fixed[] = {db, redis, state, prog, "SATH_ORCH_POLL_MS=200",
                           "SATH_BOT_BACKOFF_BASE_MS=200", "SATH_BOT_BACKOFF_MAX_MS=800",
                           "SATH_BOT_RESTART_MAX=3", "SATH_BOT_STOP_GRACE_S=3",
                           "SATH_BOT_MEMORY_BYTES=536870912", addr,
                           "SATH_BOT_ARGS=--interval-ms 100",
                           NULL};
    const char *envp[64];
    size_t k = 0;
    for (size_t i = 0; e->orch_extra && e->orch_extra[i] && k < 30; i++)
        envp[k++] = e->orch_extra[i]; /* first match wins */
    for (size_t i = 0; fixed[i]; i++)
        envp[k++] = fixed[i];
    for (size_t i = 0; environ[i] && k < 63; i++)
        if (strncmp(environ[i], "SATH_", 5) != 0)
            envp[k++] = environ[i];
    envp[k] = NULL;
    char *argv[] = {(char *)bin, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, e->orch_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&e->orch, bin, &fa, NULL, argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? 0 : -1;
}

void botenv_orch_kill(botenv *e, int sig)
{
    if (e->orch <= 0)
        return;
    kill(e->orch, sig);
    while (waitpid(e->orch, NULL, 0) < 0 && errno == EINTR)
        ;
    e->orch = 0;
}

static const char *const *sathd_env(botenv *e)
{
    static const char *env[24];
    size_t k = 0;
    for (size_t i = 0; e->sathd_extra && e->sathd_extra[i] && k < 20; i++)
        env[k++] = e->sathd_extra[i];
    env[k++] = e->jwt_env;
    env[k++] = e->enc_env;
    env[k] = NULL;
    return env;
}

int botenv_start(botenv *e, const char *const *orch_extra)
{
    return botenv_start2(e, orch_extra, NULL);
}

int botenv_start2(botenv *e, const char *const *orch_extra, const char *const *sathd_extra)
{
    memset(e, 0, sizeof *e);
    e->sathd_extra = sathd_extra;
    if (sodium_init() < 0)
        return -1;
    unsigned char seed[32], key[32];
    char b64[64];
    randombytes_buf(seed, sizeof seed);
    randombytes_buf(key, sizeof key);
    sodium_bin2base64(b64, sizeof b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    snprintf(e->jwt_env, sizeof e->jwt_env, "SATH_JWT_ED25519_KEY=%s", b64);
    sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
    snprintf(e->enc_env, sizeof e->enc_env, "SATH_ENCRYPTION_KEYS=k1:%s", b64);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(e->state_dir, sizeof e->state_dir, "%s/sath-bots-XXXXXX", tmp);
    if (!mkdtemp(e->state_dir))
        return -1;
    chmod(e->state_dir, 0755);
    snprintf(e->orch_log, sizeof e->orch_log, "%s.orch.log", e->state_dir);
    e->orch_extra = orch_extra;
    if (sathd_proc_start(&e->sathd, sathd_env(e)) != 0)
        return -1;
    return botenv_orch_start(e);
}

static int rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

/* Every bot left under the state dir is killed (by its recorded, verified pids). */
static void kill_leftovers(const char *state_dir)
{
    DIR *d = opendir(state_dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "bot_user_", 9) != 0)
            continue;
        char path[1024], buf[256];
        snprintf(path, sizeof path, "%s/%s/pid", state_dir, de->d_name);
        FILE *f = fopen(path, "r");
        int sup = 0, bot = 0;
        if (f && fgets(buf, sizeof buf, f) && sscanf(strstr(buf, "sup="), "sup=%d", &sup) == 1 &&
            strstr(buf, "bot=") && sscanf(strstr(buf, "bot="), "bot=%d", &bot) == 1) {
            char ev[128];
            snprintf(ev, sizeof ev, "SATH_USER_ID=%s", de->d_name + 9);
            char pe[64];
            snprintf(pe, sizeof pe, "/proc/%d/environ", bot);
            if (bot > 0 && file_contains(pe, ev) == 1)
                kill(-bot, SIGKILL);
            snprintf(pe, sizeof pe, "/proc/%d/cmdline", sup);
            if (sup > 0 && file_contains(pe, "sath-bot-supervisor") == 1)
                kill(sup, SIGKILL);
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
}

void botenv_stop(botenv *e)
{
    botenv_orch_kill(e, SIGTERM);
    kill_leftovers(e->state_dir);
    sathd_proc_stop(&e->sathd);
    rm_rf(e->state_dir);
    unlink(e->orch_log);
}

int botenv_setup(void **state)
{
    botenv *e = calloc(1, sizeof *e);
    if (!e || botenv_start(e, (const char *const *)*state) != 0) {
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

int botenv_teardown(void **state)
{
    botenv *e = *state;
    botenv_stop(e);
    free(e);
    return 0;
}

int botenv_sathd_restart(botenv *e)
{
    /* sathd_proc_restart keeps the gRPC address the orchestrator and the bots know */
    return sathd_proc_restart(&e->sathd, sathd_env(e));
}

int botuser_new(botenv *e, botuser *u)
{
    memset(u, 0, sizeof *u);
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(u->email, sizeof u->email, "bot%02x%02x%02x%02x%02x%02x@example.com", r[0], r[1], r[2],
             r[3], r[4], r[5]);
    if (sath_client_new(e->sathd.target, NULL, &u->c) != SATH_OK)
        return -1;
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = u->email;
    req.password = (char *)BOTUSER_PASSWORD;
    req.name = (char *)"Bot Owner";
    Sath__V1__RegisterResponse *resp = NULL;
    if (sath_auth_register(u->c, &req, &resp, NULL) != SATH_OK)
        return -1;
    snprintf(u->id, sizeof u->id, "%s", resp->user->id);
    sath__v1__register_response__free_unpacked(resp, NULL);
    return sath_client_login(u->c, u->email, BOTUSER_PASSWORD, NULL) == SATH_OK ? 0 : -1;
}

int botuser_reconnect(botenv *e, botuser *u)
{
    botuser_free(u);
    if (sath_client_new(e->sathd.target, NULL, &u->c) != SATH_OK)
        return -1;
    return sath_client_login(u->c, u->email, BOTUSER_PASSWORD, NULL) == SATH_OK ? 0 : -1;
}

void botuser_free(botuser *u)
{
    sath_client_free(u->c);
    u->c = NULL;
}

int botuser_store_config(botuser *u, const botcfg *c, sath_call_opts *opts)
{
    static char s1[] = "BTCUSDT", s2[] = "ETHUSDT", s3[] = "SOLUSDT", s4[] = "BNBUSDT";
    char *syms[] = {s1, s2, s3, s4};
    Sath__V1__BotConfig cfg = SATH__V1__BOT_CONFIG__INIT;
    cfg.symbols = syms;
    cfg.n_symbols = (size_t)c->n_symbols;
    cfg.mode = c->live ? SATH__V1__BOT_MODE__BOT_MODE_LIVE : SATH__V1__BOT_MODE__BOT_MODE_PAPER;
    cfg.capital_cents = c->capital_cents;
    cfg.risk_per_trade_bps = c->risk_bps;
    if (c->strategy)
        cfg.strategy = (char *)c->strategy;
    if (c->exchange_key_id)
        cfg.exchange_key_id = (char *)c->exchange_key_id;
    if (c->ai_key_id)
        cfg.ai_key_id = (char *)c->ai_key_id;
    Sath__V1__UpdateBotConfigRequest req = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    req.config = &cfg;
    Sath__V1__BotConfig *out = NULL;
    int rc = sath_bot_update_bot_config(u->c, &req, &out, opts);
    if (out)
        sath__v1__bot_config__free_unpacked(out, NULL);
    return rc;
}

int botuser_config(botuser *u, int n_symbols, int64_t capital, int live)
{
    botcfg c = {.n_symbols = n_symbols, .capital_cents = capital, .live = live, .risk_bps = 100,
                .strategy = "sma_crossover"};
    return botuser_store_config(u, &c, NULL);
}

int botuser_exchange_key(botuser *u, const char *label, const char *api_key,
                         const char *api_secret, int testnet, char id[37])
{
    Sath__V1__CreateExchangeKeyRequest kr = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    kr.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    if (label)
        kr.label = (char *)label;
    kr.api_key = (char *)api_key;
    kr.api_secret = (char *)api_secret;
    kr.is_testnet = testnet;
    Sath__V1__ExchangeKey *k = NULL;
    id[0] = '\0';
    int rc = sath_keys_create_exchange_key(u->c, &kr, &k, NULL);
    if (k) {
        snprintf(id, 37, "%s", k->id);
        sath__v1__exchange_key__free_unpacked(k, NULL);
    }
    return rc;
}

Sath__V1__BotStatus *botuser_status(botuser *u)
{
    Sath__V1__GetBotStatusRequest req = SATH__V1__GET_BOT_STATUS_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    return sath_bot_get_bot_status(u->c, &req, &st, NULL) == SATH_OK ? st : NULL;
}

Sath__V1__BotStatus *botuser_wait(botuser *u, Sath__V1__BotState want, int timeout_ms)
{
    Sath__V1__BotStatus *st = NULL;
    for (int waited = 0;; waited += 50) {
        if (st)
            sath__v1__bot_status__free_unpacked(st, NULL);
        st = botuser_status(u);
        if (!st || (st->state == want && !st->pending_change) || waited >= timeout_ms)
            return st;
        sleep_ms(50);
    }
}

int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    size_t nl = strlen(needle);
    int found = 0;
    for (size_t i = 0; !found && nl <= n && i <= n - nl; i++)
        found = memcmp(buf + i, needle, nl) == 0;
    free(buf);
    return found;
}

int count_user_procs(const char *user_id, pid_t *bots, int max, int *n_bots)
{
    char needle[128];
    snprintf(needle, sizeof needle, "SATH_USER_ID=%s", user_id);
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;
    *n_bots = 0;
    while (d && (de = readdir(d)) != NULL) {
        int pid = atoi(de->d_name);
        if (pid <= 0)
            continue;
        char path[64], stat[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *sf = fopen(path, "r");
        int zombie = 0;
        if (sf) {
            if (fgets(stat, sizeof stat, sf)) {
                const char *p = strrchr(stat, ')');
                zombie = p && (p[2] == 'Z' || p[2] == 'X');
            }
            fclose(sf);
        }
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        if (zombie || file_contains(path, needle) != 1)
            continue;
        n++;
        /* the executable, not comm: a bot the supervisor exec'd through /proc/self/fd
         * (program not reachable by the bot user) has comm "4" */
        char exe[512];
        snprintf(path, sizeof path, "/proc/%d/exe", pid);
        ssize_t el = readlink(path, exe, sizeof exe - 1);
        exe[el > 0 ? el : 0] = '\0';
        if (el > 16 && strcmp(exe + el - 16, "sath-bot-standin") == 0) {
            if (bots && *n_bots < max)
                bots[*n_bots] = pid;
            (*n_bots)++;
        }
    }
    if (d)
        closedir(d);
    return n;
}
