/* /api/v1/number-regions: lookups and the tenant's own prefixes. */
#include <re_types.h>
#include "region/region.h"
#include "region/region_int.h"

int region_api_init(void)
{
	return 0;
}
