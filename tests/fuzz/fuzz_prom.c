/* libFuzzer harness: Prometheus/OpenMetrics text of any bytes, whole and in chunks, and histq. */
#include <stddef.h>
#include <stdint.h>

#include "tokentop/histq.h"
#include "tokentop/prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(const prom_scrape *s)
{
	prom_server *v;
	int n = prom_servers(s, PROM_KIND_GENERIC, &v);
	for (int i = 0; i < n; i++)
		histq_quantile(0.95, v[i].ttft.buckets, v[i].ttft.n, NULL);
	if (n >= 0)
		prom_servers_free(v, (size_t)n);
	for (size_t f = 0; f < s->nfamilies; f++) {
		prom_hist h;
		if (prom_histogram(&s->families[f], NULL, 0, &h) == 0) {
			histq_quantile(0.5, h.buckets, h.n, NULL);
			histq_quantile_increase(0.5, h.buckets, h.n, h.buckets, h.n, NULL);
			prom_hist_free(&h);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	for (int f = 0; f < PROM_FORMAT_COUNT; f++) {
		prom_scrape *s = prom_parse(buf, size, (prom_format)f);
		if (s)
			use(s);
		prom_scrape_free(s);
	}
	/* the first byte picks a chunk size: lines that span chunks, small limits */
	size_t chunk = size ? (size_t)data[0] % 16 + 1 : 1;
	prom_limits lim = {.max_line = 256, .max_labels = 4, .max_samples = 64, .max_bytes = 4096};
	prom_parser *p = prom_parser_new(PROM_FORMAT_AUTO, &lim);
	for (size_t off = 0; p && off < size; off += chunk)
		prom_parser_feed(p, buf + off, size - off < chunk ? size - off : chunk);
	prom_scrape *s = prom_parser_finish(p);
	if (s)
		use(s);
	prom_scrape_free(s);
	return 0;
}
