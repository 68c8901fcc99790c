/* tokentop: entry point and subcommand dispatch. */
#include <stdio.h>

int main(void)
{
	puts("tokentop");
	return 0;
}
