/* tokentop --demo: the console on a simulated gateway served from this process. */
#ifndef TOKENTOP_DEMO_H
#define TOKENTOP_DEMO_H

/* argv[0] is "--demo". Returns the exit status. */
int demo_run(int argc, char **argv);

#endif
