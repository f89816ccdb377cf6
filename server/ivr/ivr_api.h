/* What the flows API shares with the cache. */
#ifndef OPENSEAT_IVR_API_H
#define OPENSEAT_IVR_API_H

/** NOTIFY channel: payload is the changed flow's id. */
#define IVR_CHANNEL "openseat_flow"

#endif
