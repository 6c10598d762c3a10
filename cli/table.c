/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Aligned text tables (see table.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"
#include "table.h"

struct table_col {
	char *title;
	enum table_align align;
	size_t width;
};

struct table {
	struct table_col *cols;
	size_t nr_cols;
	char **cells;    /* row-major, nr_cells of them */
	size_t nr_cells;
	size_t cap_cells;
	unsigned int indent;
	bool no_header;
};

/*
 * Display width of a UTF-8 string: one column per code point (continuation
 * bytes do not count). Good enough for the names and numbers we print.
 */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct table *table_new(void)
{
	return xcalloc(1, sizeof(struct table));
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr_cols; i++)
		free(t->cols[i].title);
	for (i = 0; i < t->nr_cells; i++)
		free(t->cells[i]);
	free(t->cols);
	free(t->cells);
	free(t);
}

void table_column(struct table *t, const char *title, enum table_align align)
{
	struct table_col *c;

	t->cols = xrealloc(t->cols, (t->nr_cols + 1) * sizeof(*t->cols));
	c = &t->cols[t->nr_cols++];
	c->title = xstrdup(title);
	c->align = align;
	c->width = text_width(title);
}

void table_no_header(struct table *t)
{
	t->no_header = true;
}

void table_indent(struct table *t, unsigned int n)
{
	t->indent = n;
}

static void add_cell(struct table *t, char *s)
{
	struct table_col *c;
	size_t w;

	if (!t->nr_cols) {
		/* a programming error; keep going with a single column */
		table_column(t, "", TABLE_LEFT);
	}
	if (t->nr_cells == t->cap_cells) {
		t->cap_cells = t->cap_cells ? 2 * t->cap_cells : 16;
		t->cells = xrealloc(t->cells, t->cap_cells * sizeof(*t->cells));
	}
	c = &t->cols[t->nr_cells % t->nr_cols];
	w = text_width(s);
	if (w > c->width)
		c->width = w;
	t->cells[t->nr_cells++] = s;
}

void table_cell(struct table *t, const char *s)
{
	add_cell(t, xstrdup(s ? s : ""));
}

void table_cellf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		fputs("ioasidctl: out of memory\n", stderr);
		exit(CLI_EXIT_FAIL);
	}
	add_cell(t, s);
}

void table_end_row(struct table *t)
{
	if (!t->nr_cols)
		return;
	while (t->nr_cells % t->nr_cols)
		table_cell(t, "");
}

size_t table_rows(const struct table *t)
{
	if (!t->nr_cols)
		return 0;
	return (t->nr_cells + t->nr_cols - 1) / t->nr_cols;
}

static void print_row(const struct table *t, FILE *f, char *const *cells,
		      size_t n)
{
	size_t i, last = 0, w;

	/* Trailing empty cells print nothing, so lines never end in blanks. */
	for (i = 0; i < n; i++)
		if (cells[i] && *cells[i])
			last = i + 1;
	fprintf(f, "%*s", (int)t->indent, "");
	for (i = 0; i < last; i++) {
		const char *s = cells[i] ? cells[i] : "";

		w = text_width(s);
		if (i)
			fputs("  ", f);
		if (t->cols[i].align == TABLE_RIGHT)
			fprintf(f, "%*s%s", (int)(t->cols[i].width - w), "", s);
		else if (i + 1 < last)
			fprintf(f, "%s%*s", s, (int)(t->cols[i].width - w), "");
		else
			fputs(s, f);
	}
	fputc('\n', f);
}

void table_print(const struct table *t, FILE *f)
{
	char **titles;
	size_t r, rows, i;

	if (!t->nr_cols)
		return;
	if (!t->no_header) {
		titles = xcalloc(t->nr_cols, sizeof(*titles));
		for (i = 0; i < t->nr_cols; i++)
			titles[i] = t->cols[i].title;
		print_row(t, f, titles, t->nr_cols);
		free(titles);
	}
	rows = t->nr_cells / t->nr_cols;
	for (r = 0; r < rows; r++)
		print_row(t, f, t->cells + r * t->nr_cols, t->nr_cols);
	if (t->nr_cells % t->nr_cols) {
		/* an unfinished row: pad it without touching the table */
		char **tail = xcalloc(t->nr_cols, sizeof(*tail));

		for (i = 0; i < t->nr_cells % t->nr_cols; i++)
			tail[i] = t->cells[rows * t->nr_cols + i];
		print_row(t, f, tail, t->nr_cols);
		free(tail);
	}
}
