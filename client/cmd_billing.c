/*
 * cmd_billing.c - `sathctl billing plans|subscription|subscribe|cancel|invoices`
 * (BillingService).  Paying happens in the browser: subscribe prints the checkout page
 * the server got from the payment provider; the plan applies once the provider
 * confirms the payment (or at once when the server runs without one, which it says).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "output.h"
#include "sathctl.h"

enum { OPT_PLAN = 256, OPT_YEARLY, OPT_NOW, OPT_PAGE_SIZE, OPT_PAGE_TOKEN };

static const sathctl_command subs[] = {
    {"billing plans", "list plans", "usage: sathctl billing plans\nLists the plans on offer.\n", NULL},
    {"billing subscription", "show subscription",
     "usage: sathctl billing subscription\nShows your subscription (the free plan when none).\n", NULL},
    {"billing subscribe", "subscribe to a plan",
     "usage: sathctl billing subscribe --plan NAME [--yearly]\n"
     "Subscribes to plan NAME (or changes to it), billed monthly or --yearly.  Prints the\n"
     "checkout page to complete the payment; the plan applies once it is paid.\n", NULL},
    {"billing cancel", "cancel the subscription",
     "usage: sathctl billing cancel [--now]\n"
     "Cancels at the end of the paid period, or at once with --now.\n", NULL},
    {"billing invoices", "list invoices",
     "usage: sathctl billing invoices [--page-size N] [--page-token TOKEN]\n"
     "Lists your invoices, newest first (N from 1 to 100, default 20).\n", NULL},
};

typedef struct billing_args {
    const char *plan, *page_token;
    long page_size;
    int yearly, now;
} billing_args;

static int on_opt(void *st, int opt, const char *arg)
{
    billing_args *a = st;
    switch (opt) {
    case OPT_PLAN: a->plan = arg; return 0;
    case OPT_YEARLY: a->yearly = 1; return 0;
    case OPT_NOW: a->now = 1; return 0;
    case OPT_PAGE_TOKEN: a->page_token = arg; return 0;
    case OPT_PAGE_SIZE:
        if (sathctl_parse_long(arg, &a->page_size) != 0 || a->page_size < 1 || a->page_size > 100)
            return sathctl_usage_error("billing invoices", "--page-size: expected 1 to 100");
        return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"yearly", no_argument, NULL, OPT_YEARLY},
    {"now", no_argument, NULL, OPT_NOW},
    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
    {"page-token", required_argument, NULL, OPT_PAGE_TOKEN},
    {NULL, 0, NULL, 0}};

static const char *const status_words[] = {"unspecified", "incomplete", "active", "past_due", "canceled"};
static const char *const invoice_words[] = {"unspecified", "open", "paid", "void", "uncollectible"};

static const char *word(const char *const *w, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? w[v] : "unknown";
}

static json_t *money_json(const Sath__V1__Money *m)
{
    return m ? json_pack("{s:I, s:s}", "cents", (json_int_t)m->cents, "currency", m->currency)
             : json_null();
}

static json_t *plan_json(const Sath__V1__Plan *p)
{
    json_t *f = json_array();
    for (size_t i = 0; i < p->n_features; i++)
        json_array_append_new(f, json_string(p->features[i]));
    return json_pack("{s:s, s:s, s:o, s:o, s:i, s:o, s:b, s:o}", "id", p->id, "name", p->name,
                     "price_monthly", money_json(p->price_monthly), "price_yearly",
                     money_json(p->price_yearly), "max_symbols", p->max_symbols, "max_capital",
                     money_json(p->max_capital), "live_trading", p->live_trading, "features", f);
}

static void print_json(json_t *o)
{
    json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
}

static double units(const Sath__V1__Money *m) { return m ? (double)m->cents / 100.0 : 0.0; }

static int plans(sathctl *ctx)
{
    Sath__V1__ListPlansRequest req = SATH__V1__LIST_PLANS_REQUEST__INIT;
    Sath__V1__ListPlansResponse *r = NULL;
    int rc = sath_billing_list_plans(ctx->client, &req, &r, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "billing plans", rc);
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n_plans; i++) {
        const Sath__V1__Plan *p = r->plans[i];
        if (ctx->json)
            json_array_append_new(arr, plan_json(p));
        else
            printf("%-12s %8.2f/month %9.2f/year  %3d symbols  capital %.2f %s  %s\n", p->name,
                   units(p->price_monthly), units(p->price_yearly), p->max_symbols,
                   units(p->max_capital), p->max_capital ? p->max_capital->currency : "",
                   p->live_trading ? "live+paper" : "paper only");
    }
    if (ctx->json)
        print_json(json_pack("{s:o}", "plans", arr));
    else
        json_decref(arr);
    sath__v1__list_plans_response__free_unpacked(r, NULL);
    return SATHCTL_EXIT_OK;
}

static json_t *subscription_json(const Sath__V1__Subscription *s)
{
    char start[32], end[32];
    sathctl_timestamp_text(s->started_at, start, sizeof start);
    sathctl_timestamp_text(s->current_period_end, end, sizeof end);
    return json_pack("{s:s, s:o, s:s, s:s, s:s?, s:s?, s:b}", "id", s->id, "plan",
                     s->plan ? plan_json(s->plan) : json_null(), "status",
                     word(status_words, 5, s->status), "period",
                     s->period == SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY ? "yearly" : "monthly",
                     "started_at", *start ? start : NULL, "current_period_end", *end ? end : NULL,
                     "cancel_at_period_end", s->cancel_at_period_end);
}

static void print_subscription(const Sath__V1__Subscription *s)
{
    char start[32], end[32];
    sathctl_timestamp_text(s->started_at, start, sizeof start);
    sathctl_timestamp_text(s->current_period_end, end, sizeof end);
    printf("plan:       %s\n", s->plan ? s->plan->name : "?");
    printf("status:     %s\n", word(status_words, 5, s->status));
    if (!*s->id)
        return; /* the implicit free plan */
    printf("period:     %s\n",
           s->period == SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY ? "yearly" : "monthly");
    if (*start)
        printf("started:    %s\n", start);
    if (*end)
        printf("%s %s\n", s->cancel_at_period_end ? "ends:      " : "renews:    ", end);
}

static int subscription(sathctl *ctx)
{
    Sath__V1__GetSubscriptionRequest req = SATH__V1__GET_SUBSCRIPTION_REQUEST__INIT;
    Sath__V1__Subscription *s = NULL;
    int rc = sath_billing_get_subscription(ctx->client, &req, &s, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "billing subscription", rc);
    if (ctx->json)
        print_json(subscription_json(s));
    else
        print_subscription(s);
    sath__v1__subscription__free_unpacked(s, NULL);
    return SATHCTL_EXIT_OK;
}

static int subscribe(sathctl *ctx, const billing_args *a)
{
    if (!a->plan)
        return sathctl_usage_error("billing subscribe", "--plan NAME is required");
    Sath__V1__SubscribeRequest req = SATH__V1__SUBSCRIBE_REQUEST__INIT;
    req.plan_id = (char *)a->plan;
    req.period = a->yearly ? SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY
                           : SATH__V1__BILLING_PERIOD__BILLING_PERIOD_MONTHLY;
    Sath__V1__SubscribeResponse *r = NULL;
    int rc = sath_billing_subscribe(ctx->client, &req, &r, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "billing subscribe", rc);
    if (ctx->json) {
        print_json(json_pack("{s:o, s:s, s:s}", "subscription",
                             r->subscription ? subscription_json(r->subscription) : json_null(),
                             "checkout_url", r->checkout_url, "message", r->message));
    } else {
        printf("%s\n", r->message);
        if (*r->checkout_url)
            printf("checkout:   %s\n", r->checkout_url);
        if (r->subscription)
            print_subscription(r->subscription);
    }
    sath__v1__subscribe_response__free_unpacked(r, NULL);
    return SATHCTL_EXIT_OK;
}

static int cancel(sathctl *ctx, const billing_args *a)
{
    Sath__V1__CancelSubscriptionRequest req = SATH__V1__CANCEL_SUBSCRIPTION_REQUEST__INIT;
    req.immediately = a->now;
    Sath__V1__Subscription *s = NULL;
    int rc = sath_billing_cancel_subscription(ctx->client, &req, &s, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "billing cancel", rc);
    if (ctx->json) {
        print_json(subscription_json(s));
    } else {
        printf("%s\n", a->now ? "canceled" : "will end at the end of the paid period");
        print_subscription(s);
    }
    sath__v1__subscription__free_unpacked(s, NULL);
    return SATHCTL_EXIT_OK;
}

static int invoices(sathctl *ctx, const billing_args *a)
{
    Sath__V1__ListInvoicesRequest req = SATH__V1__LIST_INVOICES_REQUEST__INIT;
    req.page_size = (int32_t)a->page_size;
    req.page_token = (char *)(a->page_token ? a->page_token : "");
    Sath__V1__ListInvoicesResponse *r = NULL;
    int rc = sath_billing_list_invoices(ctx->client, &req, &r, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "billing invoices", rc);
    json_t *arr = json_array();
    if (!ctx->json && r->n_invoices == 0)
        printf("no invoices\n");
    for (size_t i = 0; i < r->n_invoices; i++) {
        const Sath__V1__Invoice *v = r->invoices[i];
        char created[32];
        sathctl_timestamp_text(v->created_at, created, sizeof created);
        if (ctx->json)
            json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:s, s:s}", "id", v->id, "amount",
                                                 money_json(v->amount), "status",
                                                 word(invoice_words, 5, v->status), "created_at",
                                                 created, "hosted_url", v->hosted_url));
        else
            printf("%s  %s  %10.2f %s  %-13s %s\n", v->id, created, units(v->amount),
                   v->amount ? v->amount->currency : "", word(invoice_words, 5, v->status),
                   v->hosted_url);
    }
    if (ctx->json)
        print_json(json_pack("{s:o, s:s}", "invoices", arr, "next_page_token", r->next_page_token));
    else {
        json_decref(arr);
        if (*r->next_page_token)
            printf("more: --page-token %s\n", r->next_page_token);
    }
    sath__v1__list_invoices_response__free_unpacked(r, NULL);
    return SATHCTL_EXIT_OK;
}

int sathctl_cmd_billing(sathctl *ctx, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(sathctl_find_command("billing")->usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? SATHCTL_EXIT_USAGE : SATHCTL_EXIT_OK;
    }
    const sathctl_command *cmd = NULL;
    for (size_t i = 0; !cmd && i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name + strlen("billing "), argv[1]) == 0)
            cmd = &subs[i];
    if (!cmd)
        return sathctl_usage_error("billing", "unknown subcommand '%s'", argv[1]);
    billing_args a = {0};
    int rc = sathctl_parse_command(cmd, argc - 1, argv + 1, "h", longopts, on_opt, &a);
    if (rc >= 0)
        return rc;
    if (cmd == &subs[2] && !a.plan)
        return sathctl_usage_error(cmd->name, "--plan NAME is required");
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
        return rc;
    switch (cmd - subs) {
    case 0: return plans(ctx);
    case 1: return subscription(ctx);
    case 2: return subscribe(ctx, &a);
    case 3: return cancel(ctx, &a);
    default: return invoices(ctx, &a);
    }
}
