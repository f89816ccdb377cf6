/* /api/v1/vip-callers: callers served before others. */
#include "acdcfg/acdcfg_int.h"

int vip_api_init(void)
{
	return 0;
}
