/*
 * fwdemo.c - a small firmware-like program whose allocations bench/traces/fwdemo.trace
 * records (bench/README.md, "trace"). It runs on the target (QEMU mps2-an500, newlib-nano,
 * printf with %f) and allocates the way such firmware does, mostly through newlib itself:
 *   - parses a configuration text: strdup of the text, strtok_r, strdup of keys and values
 *     into a table grown with realloc;
 *   - creates sensor records (malloc) with strdup'ed names and units;
 *   - every tick, formats each reading with asprintf (newlib's vasprintf grows its buffer with
 *     realloc; %f goes through dtoa, whose Balloc uses calloc) and queues it in a linked list
 *     of events; every 5 ticks prints and frees the queue (the first printf allocates stdout's
 *     FILE buffer);
 *   - every 10 ticks builds a JSON report in a string builder grown with realloc, prints it;
 *   - keeps a per-sensor history vector of readings grown by doubling (realloc);
 *   - now and then handles a "packet" in a 512-1536 byte buffer; every 50 ticks renames a
 *     sensor (free + strdup).
 * Deterministic: a fixed-seed generator stands in for the sensors.
 */
#define _GNU_SOURCE 1 /* asprintf, strndup */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_shim.h"

static const char config_text[] =
    "name=thermo-7\n"
    "rate=10\n"
    "sensor.0=temp:C:0.01\n"
    "sensor.1=humidity:%:0.1\n"
    "sensor.2=pressure:hPa:0.1\n"
    "sensor.3=supply:V:0.001\n"
    "sensor.4=light:lx:1\n"
    "uplink=mqtt://broker.local:1883/dev/thermo-7/telemetry\n"
    "log=info\n";

struct kv {
    char *key, *value;
};
static struct kv *config;
static size_t config_n;

struct sensor {
    char *name, *unit;
    float scale;
    float *history;
    size_t hist_n, hist_cap;
};
static struct sensor *sensors[8];
static size_t sensor_n;

struct event {
    struct event *next;
    char *text;
    unsigned seq;
};
static struct event *queue_head, **queue_tail = &queue_head;

static unsigned rng = 12345u;
static unsigned next_rand(void) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) & 0xFFFFu;
}

static void parse_config(void) {
    char *copy = strdup(config_text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        config = realloc(config, (config_n + 1) * sizeof *config);
        config[config_n].key = strdup(line);
        config[config_n].value = strdup(eq + 1);
        config_n++;
    }
    free(copy);
}

static void make_sensors(void) {
    for (size_t i = 0; i < config_n; i++) {
        if (strncmp(config[i].key, "sensor.", 7) != 0)
            continue;
        char *spec = strdup(config[i].value), *save = NULL;
        struct sensor *s = calloc(1, sizeof *s);
        s->name = strdup(strtok_r(spec, ":", &save));
        s->unit = strdup(strtok_r(NULL, ":", &save));
        s->scale = strtof(strtok_r(NULL, ":", &save), NULL);
        free(spec);
        sensors[sensor_n++] = s;
    }
}

struct sb {
    char *buf;
    size_t len, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) {
    char tmp[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = b->len + (size_t)n + 1 + 32;
        b->buf = realloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->len, tmp, (size_t)n + 1);
    b->len += (size_t)n;
}

static void queue_event(char *text, unsigned seq) {
    struct event *e = malloc(sizeof *e);
    e->next = NULL;
    e->text = text;
    e->seq = seq;
    *queue_tail = e;
    queue_tail = &e->next;
}

static void flush_events(void) {
    while (queue_head) {
        struct event *e = queue_head;
        queue_head = e->next;
        printf("[%u] %s\n", e->seq, e->text);
        free(e->text);
        free(e);
    }
    queue_tail = &queue_head;
}

static void record_history(struct sensor *s, float v) {
    if (s->hist_n == s->hist_cap) {
        if (s->hist_cap == 64) { /* keep the last reading, start over */
            free(s->history);
            s->history = NULL;
            s->hist_n = s->hist_cap = 0;
        }
        s->hist_cap = s->hist_cap ? 2 * s->hist_cap : 4;
        s->history = realloc(s->history, s->hist_cap * sizeof *s->history);
    }
    s->history[s->hist_n++] = v;
}

static void report(unsigned tick) {
    struct sb b = {0};
    sb_printf(&b, "{\"dev\":\"%s\",\"tick\":%u,\"readings\":{", config[0].value, tick);
    for (size_t i = 0; i < sensor_n; i++) {
        struct sensor *s = sensors[i];
        float sum = 0;
        for (size_t k = 0; k < s->hist_n; k++)
            sum += s->history[k];
        sb_printf(&b, "%s\"%s\":{\"avg\":%.3f,\"n\":%u}", i ? "," : "", s->name,
                  (double)(s->hist_n ? sum / (float)s->hist_n : 0.0f), (unsigned)s->hist_n);
    }
    sb_printf(&b, "}}");
    puts(b.buf);
    free(b.buf);
}

static void handle_packet(unsigned tick) {
    size_t n = 512 + next_rand() % 1025;
    char *pkt = malloc(n);
    int len = snprintf(pkt, n, "PKT %u len=%u payload=", tick, (unsigned)n);
    for (size_t i = (size_t)len; i + 1 < n; i++)
        pkt[i] = (char)('a' + i % 26);
    pkt[n - 1] = 0;
    char *copy = strndup(pkt, 40);
    printf("%s...\n", copy);
    free(copy);
    free(pkt);
}

int main(void) {
    parse_config();
    make_sensors();
    printf("fwdemo: %u config entries, %u sensors\n", (unsigned)config_n, (unsigned)sensor_n);
    for (unsigned tick = 1; tick <= 200; tick++) {
        for (size_t i = 0; i < sensor_n; i++) {
            struct sensor *s = sensors[i];
            float v = (float)(next_rand() % 4000) * s->scale;
            record_history(s, v);
            char *line = NULL;
            if (asprintf(&line, "%s=%.2f%s", s->name, (double)v, s->unit) >= 0)
                queue_event(line, tick);
        }
        if (tick % 5 == 0)
            flush_events();
        if (tick % 10 == 0)
            report(tick);
        if (next_rand() % 7 == 0)
            handle_packet(tick);
        if (tick % 50 == 0) {
            struct sensor *s = sensors[(tick / 50) % sensor_n];
            char *name = NULL;
            asprintf(&name, "%s-%u", s->name, tick / 50);
            free(s->name);
            s->name = name;
        }
    }
    flush_events();
    for (size_t i = 0; i < sensor_n; i++) {
        free(sensors[i]->name);
        free(sensors[i]->unit);
        free(sensors[i]->history);
        free(sensors[i]);
    }
    for (size_t i = 0; i < config_n; i++) {
        free(config[i].key);
        free(config[i].value);
    }
    free(config);
    printf("fwdemo: done\n");
    fflush(stdout);
    return trace_finish();
}
