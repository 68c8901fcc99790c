/* The one way tokentop writes an output file (-o, --output): safe for devices and links. */
#ifndef TOKENTOP_OUTFILE_H
#define TOKENTOP_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A regular file (or a new one) is written beside its final name and renamed over it at
 * close, so a reader sees the old file or the whole new one; the old file's mode (and, as
 * root, owner) is kept. A symlink is followed: its target is what gets replaced, the link
 * stays. Anything that is not a regular file (a device such as /dev/null, a FIFO, a
 * terminal) is written in place and never replaced. NULL or "-" is standard output.
 */
typedef struct outfile {
	FILE *f;          /* write here */
	char path[4096];  /* what the user named, for messages */
	char final[4096]; /* the file renamed over at close; "" when written in place */
	char tmp[4096];   /* the file being written; "" when in place */
} outfile;

/* 0 with o->f open; -1 with err naming the path and what to do. */
int outfile_open(outfile *o, const char *path, char *err, size_t errlen);

/* Flushes and closes; with ok, a temporary file takes the final name, else it is removed
 * and the old file left as it was. 0, or -1 with err naming the path. Standard output is
 * flushed, not closed. */
int outfile_close(outfile *o, bool ok, char *err, size_t errlen);

#endif
