/* The program: the one file that sees every layer, handing the demo gateway to the app. */
#include "tokentop/app.h"
#include "tokentop/demo.h"

int main(int argc, char **argv)
{
	static const app_extras extras = {.demo = demo_run};
	return app_main(argc, argv, &extras);
}
