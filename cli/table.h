/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Aligned text tables: every column as wide as its widest cell, two spaces
 * between columns, numbers right-aligned on request, no trailing blanks.
 * Cells are collected first and printed at the end, since a width is known
 * only when every row is.
 */
#ifndef IOASIDCTL_TABLE_H
#define IOASIDCTL_TABLE_H

#include <stdio.h>

enum table_align {
	TABLE_LEFT = 0,
	TABLE_RIGHT = 1,
};

struct table;

/* A table with no columns yet. Never fails (the CLI exits when out of memory). */
struct table *table_new(void);

/* Free a table; NULL is fine. */
void table_free(struct table *t);

/* Add a column; all columns come before the first cell. */
void table_column(struct table *t, const char *title, enum table_align align);

/* Leave out the title row (for key/value listings). */
void table_no_header(struct table *t);

/* Indent every printed line by @n spaces. */
void table_indent(struct table *t, unsigned int n);

/*
 * Append a cell to the current row; a row is complete once it has a cell
 * per column, and the next cell starts a new one.
 */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill the rest of the current row with empty cells. */
void table_end_row(struct table *t);

/* How many complete or started rows the table holds. */
size_t table_rows(const struct table *t);

/* Print the table (an unfinished last row is padded with empty cells). */
void table_print(const struct table *t, FILE *f);

#endif /* IOASIDCTL_TABLE_H */
